using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using ModerationConsole.Audit;
using ModerationConsole.Hashing;

namespace ModerationConsole.Cases;

/// <summary>What checking a bundle found: the manifest's hash (to compare with the case.sealed audit entry) and every problem.</summary>
public sealed record BundleVerification(string? ManifestSha256, long? CaseId, int Files, int AuditEntries, IReadOnlyList<string> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// Checks an evidence bundle offline, with nothing but the file: every file's SHA-256, MD5 and length against the
/// manifest, each image's hash as its item records it (SHA-256 and PDQ recomputed from the bytes), no file unlisted, and
/// each audit entry's chain hash recomputed from its canonical text and the link before it. It names everything that
/// does not match. Whether the manifest itself is the one sealed is told by its hash, which the console's audit log
/// holds in the case's case.sealed entry.
/// </summary>
public static class BundleVerifier
{
    public static BundleVerification Verify(Stream bundle)
    {
        var problems = new List<string>();
        ZipArchive archive;
        try { archive = new ZipArchive(bundle, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException ex) { return new BundleVerification(null, null, 0, 0, [$"not a ZIP archive: {ex.Message}"]); }
        using (archive)
        {
            var manifestEntry = archive.GetEntry(EvidenceManifest.FileName);
            if (manifestEntry is null) return new BundleVerification(null, null, 0, 0, [$"{EvidenceManifest.FileName} is missing"]);
            var manifestBytes = ReadAll(manifestEntry);
            EvidenceManifest? manifest;
            try { manifest = JsonSerializer.Deserialize<EvidenceManifest>(manifestBytes, EvidenceBundle.Json); }
            catch (JsonException ex) { return new BundleVerification(Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), null, 0, 0, [$"{EvidenceManifest.FileName} is not valid JSON: {ex.Message}"]); }
            if (manifest is null || manifest.Format != EvidenceManifest.CurrentFormat)
                return new BundleVerification(null, null, 0, 0, [$"{EvidenceManifest.FileName} is not a {EvidenceManifest.CurrentFormat} manifest"]);

            var contents = new Dictionary<string, byte[]>();
            foreach (var file in manifest.Files)
            {
                var entry = archive.GetEntry(file.Path);
                if (entry is null) { problems.Add($"{file.Path}: listed in the manifest but missing from the bundle"); continue; }
                var bytes = contents[file.Path] = ReadAll(entry);
                if (bytes.Length != file.Bytes) problems.Add($"{file.Path}: {bytes.Length} bytes, the manifest says {file.Bytes}");
                if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != file.Sha256) problems.Add($"{file.Path}: SHA-256 does not match the manifest");
                if (Convert.ToHexStringLower(MD5.HashData(bytes)) != file.Md5) problems.Add($"{file.Path}: MD5 does not match the manifest");
            }
            foreach (var entry in archive.Entries)
                if (entry.FullName != EvidenceManifest.FileName && manifest.Files.All(f => f.Path != entry.FullName))
                    problems.Add($"{entry.FullName}: in the bundle but not in the manifest");

            foreach (var item in manifest.Items)
            {
                if (item.Image.Path is not { } path || !contents.TryGetValue(path, out var bytes)) continue;
                if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != item.Image.Sha256)
                    problems.Add($"item {item.ItemId}: its image's SHA-256 is not the one the console stored for it");
                if (item.Image.Pdq is { } pdq && ImageFingerprint.TryHash(bytes) is { } recomputed && recomputed.Hash.ToString() != pdq)
                    problems.Add($"item {item.ItemId}: its image's PDQ hash is not the one the console computed at ingest");
            }

            EvidenceAuditEntry? before = null;
            foreach (var entry in manifest.Audit.OrderBy(a => a.Position))
            {
                var hash = AuditChain.LinkHash(Convert.FromHexString(entry.Previous), entry.Position, entry.EntryId, entry.At, entry.ActorKind,
                    entry.ActorId, entry.Action, entry.ItemId, entry.Details);
                if (Convert.ToHexStringLower(hash) != entry.Hash)
                    problems.Add($"audit entry #{entry.EntryId} at chain position {entry.Position}: its content does not match its chain hash");
                if (before is not null && entry.Position == before.Position + 1 && entry.Previous != before.Hash)
                    problems.Add($"audit entry #{entry.EntryId} at chain position {entry.Position}: does not follow the link before it");
                before = entry;
            }
            return new BundleVerification(Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), manifest.Case.Id, manifest.Files.Count,
                manifest.Audit.Count, problems);
        }
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
