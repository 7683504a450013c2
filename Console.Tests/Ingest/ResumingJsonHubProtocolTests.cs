using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using ModerationConsole.Bench;
using ModerationConsole.Ingest;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Ingest;

/// <summary>
/// The hub's JSON protocol reads what SignalR's own reads, message for message, however the bytes arrive, and searches
/// each byte for a message's end once rather than once per read.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ResumingJsonHubProtocolTests(PostgresFixture postgres)
{
    private static readonly JsonHubProtocol SignalRs = new(Options.Create(new JsonHubProtocolOptions()));

    private static byte[] Invocation(string id, string argument) =>
        Encoding.UTF8.GetBytes($$"""{"type":1,"invocationId":"{{id}}","target":"Submit","arguments":["{{argument}}"]}""" + "\u001e");

    private static List<InvocationMessage> ReadAll(IHubProtocol protocol, byte[] stream, int read) =>
        IngestBenchmark.ReadInPieces(protocol, stream, read, new IngestBenchmark.StringArgument()).Cast<InvocationMessage>().ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Messages_arriving_in_pieces_read_as_SignalRs_own_protocol_reads_them(int read)
    {
        byte[] stream = [.. Invocation("1", new string('a', 10_000)), .. Invocation("2", "short"), .. Invocation("3", new string('b', 5_000))];

        var ours = ReadAll(new ResumingJsonHubProtocol(SignalRs, new()), stream, read);
        var theirs = ReadAll(SignalRs, stream, read);

        Assert.Equal(["1", "2", "3"], ours.Select(m => m.InvocationId));
        Assert.Equal(theirs.Select(m => (m.InvocationId, (string)m.Arguments[0]!)), ours.Select(m => (m.InvocationId, (string)m.Arguments[0]!)));
    }

    [Fact]
    public void Each_byte_is_searched_once_however_many_reads_a_message_takes()
    {
        var message = Invocation("1", new string('a', 1_000_000));
        var protocol = new ResumingJsonHubProtocol(SignalRs, new());

        Assert.Single(ReadAll(protocol, message, read: 4096));

        // SignalR's own search would go over ~123 MB here: 245 reads of half the message on average.
        Assert.Equal(message.Length, protocol.BytesSearched);
    }

    [Fact]
    public async Task The_console_serves_its_json_protocol_to_the_hub()
    {
        await using var console = await TestConsole.StartAsync(postgres);

        var json = console.Service<IHubProtocolResolver>().GetProtocol("json", null);

        Assert.IsType<ResumingJsonHubProtocol>(json);
    }
}
