using Microsoft.Extensions.Options;
using ModerationConsole.Ingest;

namespace ModerationConsole.Checks;

/// <summary>
/// The call producers make, over HTTP or the hub: validate every field, then check each generation. A check refused as
/// a whole is a <see cref="FieldErrorsException"/> and records nothing.
/// </summary>
public sealed class CheckService(GenerationChecker checker, IOptions<IngestOptions> options)
{
    public async Task<CheckVerdict> CheckAsync(long producerId, CheckRequest? request, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        var check = CheckValidation.Validate(request, options.Value, errors);
        if (check is null) throw new FieldErrorsException(errors);
        return await checker.CheckAsync(producerId, check, ct);
    }

    /// <summary>Up to <see cref="CheckValidation.MaxBatch"/> checks; one bad check refuses the batch before any is recorded.</summary>
    public async Task<CheckBatchVerdicts> CheckBatchAsync(long producerId, CheckBatch? batch, CancellationToken ct)
    {
        var requests = batch?.Checks ?? throw new FieldErrorsException([new FieldError("checks", "is required: an array of checks")]);
        if (requests.Count is 0 or > CheckValidation.MaxBatch)
            throw new FieldErrorsException([new FieldError("checks", $"must hold 1 to {CheckValidation.MaxBatch} checks (got {requests.Count})")]);
        var errors = new List<FieldError>();
        var checks = requests.Select((r, i) => CheckValidation.Validate(r, options.Value, errors, $"checks[{i}].")).ToList();
        foreach (var duplicate in checks.Where(c => c is not null).GroupBy(c => c!.CheckId).Where(g => g.Count() > 1))
            errors.Add(new FieldError("checks", $"checkId '{duplicate.Key}' appears more than once"));
        if (errors.Count > 0) throw new FieldErrorsException(errors);
        var verdicts = new List<CheckVerdict>(checks.Count);
        foreach (var check in checks) verdicts.Add(await checker.CheckAsync(producerId, check!, ct));
        return new CheckBatchVerdicts(verdicts);
    }
}
