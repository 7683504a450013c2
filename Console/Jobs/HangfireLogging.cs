using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace ModerationConsole.Jobs;

/// <summary>
/// Hangfire keeps its log provider in a static global that the last console built in the process sets. The tests run
/// several consoles in one process, one after another; once the last one built is disposed its logger factory is too,
/// and Hangfire's first use of a job method elsewhere (it creates a logger for its retry filter) would throw. This
/// provider hands Hangfire a silent logger instead of failing a job over a disposed log sink.
/// </summary>
internal sealed class HangfireLogging(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider inner = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Silent.Instance;
        }
    }

    private sealed class Silent : ILog
    {
        public static readonly Silent Instance = new();
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
