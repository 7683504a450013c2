using ModerationConsole.Bench;

namespace ModerationConsole.Tests.Infrastructure;

/// <summary>
/// Reference implementations in Node.js (<see cref="NsfwjsReference"/>): nsfwjs and TensorFlow.js, installed by
/// <c>./test.sh</c> into <c>scripts/nsfwjs/node_modules</c> from its lock file.
/// </summary>
public static class NodePeers
{
    public static string Folder => NsfwjsReference.Folder;

    public static string NsfwjsModel(string model) => NsfwjsReference.ModelFolder(model);

    public static Task<IReadOnlyList<string>> RunAsync(string script, params string[] args) => NsfwjsReference.RunAsync(script, args);

    public static async Task<IReadOnlyList<Dictionary<string, double>>> NsfwjsClassifyAsync(string model, IReadOnlyList<byte[]> images) =>
        (await NsfwjsReference.ClassifyAsync(model, images)).Classes;
}
