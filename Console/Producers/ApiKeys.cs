using System.Security.Cryptography;
using System.Text;

namespace ModerationConsole.Producers;

/// <summary>
/// Producer API keys: 256 random bits behind a recognisable prefix. Only the SHA-256 of a key is stored; with that much
/// entropy a slow password hash buys nothing, and a fast one lets every request find its producer in one index probe.
/// </summary>
public static class ApiKeys
{
    public const string Prefix = "mc_";
    public const string HeaderName = "X-Api-Key";
    public const string QueryName = "access_token";

    public static string NewKey() =>
        Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>What admins see to tell keys apart: enough to recognise, far too little to use.</summary>
    public static string DisplayPrefix(string key) => key[..Math.Min(key.Length, Prefix.Length + 6)];
}
