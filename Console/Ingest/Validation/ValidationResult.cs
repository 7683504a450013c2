using System.Diagnostics.CodeAnalysis;

namespace ModerationConsole.Ingest.Validation;

/// <summary>The outcome of <see cref="GenerationValidator.Validate"/>: a valid generation, or every field error found.</summary>
public sealed class ValidationResult
{
    private ValidationResult(ValidGeneration? generation, IReadOnlyList<FieldError> errors)
    {
        Generation = generation;
        Errors = errors;
    }

    public ValidGeneration? Generation { get; }

    /// <summary>Empty when valid; otherwise at least one error, in contract field order.</summary>
    public IReadOnlyList<FieldError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Generation))]
    public bool IsValid => Generation is not null;

    public static ValidationResult Valid(ValidGeneration generation)
    {
        ArgumentNullException.ThrowIfNull(generation);
        return new(generation, []);
    }

    public static ValidationResult Invalid(IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("An invalid result needs at least one error.", nameof(errors));
        }
        return new(null, errors);
    }
}
