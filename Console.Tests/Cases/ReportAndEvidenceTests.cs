using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Cases;
using ModerationConsole.Cli;
using ModerationConsole.Tests.Infrastructure;

namespace ModerationConsole.Tests.Cases;

/// <summary>
/// A child-safety case from draft to reported: the CyberTipline package a specialist downloads (checked against NCMEC's
/// documented fields and order), the report id entered, and the evidence bundle sealed then, which verifies offline and
/// names any byte changed since.
/// </summary>
[Trait(TestKind.Trait, TestKind.Database)]
public sealed class ReportAndEvidenceTests(PostgresFixture postgres) : ConsoleWithProducerTest(postgres,
    "--Cases:Reporter:Email=legal@platform.example", "--Cases:Reporter:FirstName=Dana", "--Cases:Reporter:LastName=Okafor",
    "--Cases:Reporter:CompanyTemplate=Legal process: legal@platform.example. Data kept 1 year.", "--Cases:Reporter:LegalUrl=https://platform.example/legal")
{
    private CaseStore Cases => console.Service<CaseStore>();

    private async Task<(long CaseId, long[] Items)> ChildSafetyCaseAsync(string user)
    {
        var (_, senior) = await console.PersonAsync(Roles.Senior);
        var first = await console.ConfirmedChildSafetyBlockAsync(producer, user, pictureSeed: 401, by: senior);
        var second = await console.ConfirmedChildSafetyBlockAsync(producer, user, pictureSeed: 402, by: senior);
        var caseId = (await console.CaseOfAsync(first))!.Value;
        Assert.Equal(caseId, await console.CaseOfAsync(second));
        return (caseId, [first, second]);
    }

    [Fact]
    public async Task The_report_package_follows_ncmecs_documented_fields_annotates_generative_ai_and_says_which_files_were_viewed()
    {
        var (caseId, items) = await ChildSafetyCaseAsync("user-report");
        var (specialistAccount, specialist) = await console.PersonAsync(Roles.Specialist);
        await console.Service<ModerationConsole.Wellness.Exposures>().RecordShownAsync(specialist, items[0], 100);
        await console.Service<ModerationConsole.Wellness.Exposures>().RecordRevealedAsync(specialist, items[0]);
        using var http = await console.ClientAsync(specialistAccount);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/cases/{caseId}/cybertipline.zip")).StatusCode); // a draft has no package yet

        await Cases.MarkReadyAsync(specialist, caseId);
        var zip = await http.GetByteArrayAsync($"/cases/{caseId}/cybertipline.zip");

        using var archive = new ZipArchive(new MemoryStream(zip));
        var schemas = DocumentedFields();
        var report = XDocument.Load(archive.GetEntry("report.xml")!.Open());
        report.Validate(schemas, (_, e) => Assert.Fail($"report.xml: {e.Message}"));
        Assert.Equal(CyberTiplinePackage.IncidentType, report.Root!.Element("incidentSummary")!.Element("incidentType")!.Value);
        Assert.Equal("user-report", report.Root.Element("personOrUserReported")!.Element("espIdentifier")!.Value);
        Assert.Equal("legal@platform.example", report.Root.Element("reporter")!.Element("reportingPerson")!.Element("email")!.Value);

        var details = archive.Entries.Where(e => e.FullName.EndsWith(".fileDetails.xml")).OrderBy(e => e.FullName).ToList();
        Assert.Equal(2, details.Count);
        var viewed = new List<string>();
        foreach (var entry in details)
        {
            var fileDetails = XDocument.Load(entry.Open());
            fileDetails.Validate(schemas, (_, e) => Assert.Fail($"{entry.FullName}: {e.Message}"));
            Assert.NotNull(fileDetails.Root!.Element("fileAnnotations")!.Element("generativeAi"));
            var file = archive.GetEntry(entry.FullName.Replace(".fileDetails.xml", ""))!;
            using var bytes = new MemoryStream();
            await file.Open().CopyToAsync(bytes);
            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes.ToArray())),
                fileDetails.Root.Elements("originalFileHash").Single(h => h.Attribute("hashType")!.Value == "MD5").Value);
            viewed.Add(fileDetails.Root.Element("fileViewedByEsp")!.Value);
        }
        Assert.Equal(["true", "false"], viewed);

        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), await connection.ExecuteScalarAsync<string>(
            "select details ->> 'sha256' from audit_log where action = 'case.report_package_downloaded' and (details ->> 'caseId')::bigint = @caseId",
            new { caseId }));
    }

    [Fact]
    public async Task Entering_the_report_id_seals_a_bundle_that_verifies_offline_and_whose_manifest_hash_is_in_the_audit_log()
    {
        var (caseId, items) = await ChildSafetyCaseAsync("user-seal");
        var (specialistAccount, specialist) = await console.PersonAsync(Roles.Specialist);
        var early = await Assert.ThrowsAsync<CaseException>(() => Cases.MarkReportedAsync(specialist, caseId, "12345"));
        Assert.Contains("prepare its report package first", early.Message);
        await Cases.MarkReadyAsync(specialist, caseId);
        var badId = await Assert.ThrowsAsync<CaseException>(() => Cases.MarkReportedAsync(specialist, caseId, "12 345; drop"));
        Assert.StartsWith("reportId:", badId.Message);

        await Cases.MarkReportedAsync(specialist, caseId, "187654321");

        using var http = await console.ClientAsync(specialistAccount);
        var bundle = await http.GetByteArrayAsync($"/cases/{caseId}/bundle.zip");
        var verification = BundleVerifier.Verify(new MemoryStream(bundle));
        Assert.True(verification.Intact, string.Join("; ", verification.Problems));
        Assert.Equal(2, verification.Files);
        await using var connection = await console.OpenConnectionAsync();
        Assert.Equal(verification.ManifestSha256, await connection.ExecuteScalarAsync<string>(
            "select details ->> 'manifestSha256' from audit_log where action = 'case.sealed' and (details ->> 'caseId')::bigint = @caseId", new { caseId }));

        using var archive = new ZipArchive(new MemoryStream(bundle));
        var manifest = System.Text.Json.JsonSerializer.Deserialize<EvidenceManifest>(archive.GetEntry("manifest.json")!.Open(), EvidenceBundle.Json)!;
        Assert.Equal("187654321", manifest.Case.ReportId);
        Assert.Equal(items.Order(), manifest.Items.Select(i => i.ItemId));
        Assert.All(manifest.Items, item => Assert.Contains(item.Decisions, d => d.Decision == "blocked" && d.Categories.Contains("sexual_minors")));
        Assert.Contains(manifest.Audit, e => e.Action == "item.decided" && e.ItemId == items[0]);
        Assert.Contains(manifest.Audit, e => e.Action == CaseAuditActions.Ready);
        Assert.Equal(CaseStatuses.Reported, (await Cases.ReadAsync(specialist, caseId))!.Status);

        var report = await console.Service<ModerationConsole.Audit.Reports.TransparencyReports>()
            .ForAsync(new ModerationConsole.Audit.Reports.ReportPeriod(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal((1L, 1L), (report.Legal.CasesOpened, report.Legal.CyberTiplineReports));
    }

    [Fact]
    public async Task Case_verify_names_the_image_and_the_audit_entry_that_were_changed_after_sealing()
    {
        var (caseId, items) = await ChildSafetyCaseAsync("user-tamper");
        var (_, specialist) = await console.PersonAsync(Roles.Specialist);
        await Cases.CloseAsync(specialist, caseId, "Reported by phone; see the case notes.");
        await using var connection = await console.OpenConnectionAsync();
        var bundle = await connection.ExecuteScalarAsync<byte[]>("select bundle from cases where id = @caseId", new { caseId });
        var path = Path.Combine(Path.GetTempPath(), $"case-{caseId}-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(path, bundle!);
        Assert.Equal(0, Verify(path, out var intact, out _));
        Assert.Contains("is intact", intact);

        // One byte of the first image, and the details of one audit entry, changed inside the bundle.
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var image = archive.Entries.First(e => e.FullName.StartsWith("items/"));
            var bytes = Read(image);
            bytes[^10] ^= 0x01;
            Rewrite(archive, image.FullName, bytes);
            var manifest = System.Text.Encoding.UTF8.GetString(Read(archive.GetEntry("manifest.json")!));
            Rewrite(archive, "manifest.json", System.Text.Encoding.UTF8.GetBytes(manifest.Replace("Confirmed.", "Unsure.")));
        }

        Assert.Equal(1, Verify(path, out _, out var errors));
        Assert.Contains($"items/{items.Min()}.png: SHA-256 does not match the manifest", errors);
        Assert.Matches(@"audit entry #\d+ at chain position \d+: its content does not match its chain hash", errors);
        File.Delete(path);
    }

    private static int Verify(string path, out string output, out string errors)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = CaseCommand.Run(new CliArguments(["verify", path]), stdout, stderr);
        (output, errors) = (stdout.ToString(), stderr.ToString());
        return exit;
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static void Rewrite(ZipArchive archive, string name, byte[] bytes)
    {
        archive.GetEntry(name)!.Delete();
        using var stream = archive.CreateEntry(name).Open();
        stream.Write(bytes);
    }

    private static XmlSchemaSet DocumentedFields()
    {
        var schemas = new XmlSchemaSet();
        using var stream = typeof(ReportAndEvidenceTests).Assembly.GetManifestResourceStream("cybertipline-documented-fields.xsd")!;
        schemas.Add(null, XmlReader.Create(stream));
        return schemas;
    }
}
