namespace ModerationConsole.Review;

/// <summary>An action the moderator asked for that cannot be done; the message is shown to them as it is.</summary>
public sealed class ReviewException(string message) : Exception(message);
