using System.Security.Cryptography;
using Dapper;
using ModerationConsole.Accounts;
using ModerationConsole.Audit;
using ModerationConsole.Data;

namespace ModerationConsole.Cases;

/// <summary>Downloads of a case's sealed evidence bundle and of a child-safety case's CyberTipline package, each audited.</summary>
public static class CaseEndpoints
{
    public static IEndpointRouteBuilder MapCaseDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cases/{caseId:long}/bundle.zip", async (long caseId, HttpContext http, Db db) =>
        {
            var userId = http.User.UserId();
            var childSafety = http.User.Satisfies(Policies.ChildSafety);
            var (found, bundle) = await db.InTransactionAsync(async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<(string Kind, byte[]? Bundle)>(
                    "select kind, bundle from cases where id = @caseId", new { caseId }, transaction);
                if (row.Kind is null || row.Bundle is null) return (false, (byte[]?)null);
                if (row.Kind == CaseKinds.ChildSafety && !childSafety) return (true, (byte[]?)null);
                await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.BundleDownloaded, null, new { caseId });
                return (true, (byte[]?)row.Bundle);
            }, http.RequestAborted);
            return !found ? Results.NotFound()
                : bundle is null ? Results.Forbid()
                : Download(http, bundle, $"case-{caseId}-evidence.zip");
        }).RequireAuthorization(Policies.Cases);

        app.MapGet("/cases/{caseId:long}/cybertipline.zip", async (long caseId, HttpContext http, Db db, CyberTiplinePackage packages) =>
        {
            var userId = http.User.UserId();
            try
            {
                var package = await db.InTransactionAsync(async (connection, transaction) =>
                {
                    var status = await connection.ExecuteScalarAsync<string?>("select status from cases where id = @caseId and kind = 'child_safety'",
                        new { caseId }, transaction);
                    if (status is not (CaseStatuses.Ready or CaseStatuses.Reported)) return null;
                    var built = await packages.BuildAsync(connection, caseId);
                    await AuditLog.AppendAsync(connection, transaction, Actor.User(userId), CaseAuditActions.ReportPackageDownloaded, null,
                        new { caseId, sha256 = Convert.ToHexStringLower(SHA256.HashData(built.Zip)) });
                    return built.Zip;
                }, http.RequestAborted);
                return package is null ? Results.NotFound() : Download(http, package, $"case-{caseId}-cybertipline.zip");
            }
            catch (CaseException ex)
            {
                return Results.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict);
            }
        }).RequireAuthorization(Policies.ChildSafety);
        return app;
    }

    private static IResult Download(HttpContext http, byte[] bytes, string name)
    {
        http.Response.Headers.CacheControl = "private, no-store";
        return Results.File(bytes, "application/zip", name);
    }
}
