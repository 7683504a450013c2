using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace ModerationConsole.Scoring.Runtime;

/// <summary>
/// Which ONNX Runtime execution provider runs the classifiers, decided once per process. The package carries the CUDA
/// provider as a separate library that loads only when asked for; it needs the CUDA and cuDNN libraries of the machine,
/// so on a machine without them appending it fails and the console runs on the CPU, from the same build.
/// </summary>
public sealed class ExecutionProvider
{
    private ExecutionProvider(string name, string detail)
    {
        Name = name;
        Detail = detail;
    }

    /// <summary><c>CUDA</c> or <c>CPU</c>.</summary>
    public string Name { get; }

    /// <summary>For admins: the device, or why CUDA was not used.</summary>
    public string Detail { get; }

    public bool IsCuda => Name == "CUDA";

    public static ExecutionProvider Select(ScoringOptions options, ILogger logger)
    {
        var wanted = options.ExecutionProvider.ToLowerInvariant();
        if (wanted is not ("auto" or "cpu" or "cuda"))
            throw new InvalidOperationException($"Scoring:ExecutionProvider must be auto, cpu or cuda, not '{options.ExecutionProvider}'.");
        if (wanted == "cpu")
        {
            logger.LogInformation("Classifiers run on the CPU (Scoring:ExecutionProvider=cpu)");
            return new ExecutionProvider("CPU", "chosen by configuration");
        }
        // ONNX Runtime's own logger would print the failed load of the CUDA provider as a red error on every start of a
        // CPU-only machine; the reason is logged below instead, once, at the level it deserves.
        var env = OrtEnv.Instance();
        var previousLevel = env.EnvLogLevel;
        env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        try
        {
            // Appending loads libonnxruntime_providers_cuda and through it CUDA and cuDNN: this is the real test.
            using var probe = new SessionOptions();
            probe.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            logger.LogInformation("Classifiers run on CUDA device {Device}", options.CudaDeviceId);
            return new ExecutionProvider("CUDA", $"device {options.CudaDeviceId}");
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            if (wanted == "cuda")
                throw new InvalidOperationException($"Scoring:ExecutionProvider=cuda but CUDA cannot be used: {ex.Message}", ex);
            var reason = FirstLine(ex.Message);
            // The usual case on a machine without a GPU: said plainly, with ONNX Runtime's words for those who expected one.
            logger.LogInformation("Classifiers run on the CPU: no usable GPU was found (ONNX Runtime: {Reason})", reason);
            return new ExecutionProvider("CPU", $"no usable GPU: {reason}");
        }
        finally
        {
            env.EnvLogLevel = previousLevel;
        }
    }

    /// <summary>Options for one session on this provider; CUDA sessions keep the CPU as the fallback for operators CUDA lacks.</summary>
    public SessionOptions CreateSessionOptions(ScoringOptions options)
    {
        var session = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        // Decoding threads run beside inference; spinning inference threads would take their cores while idle.
        session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (IsCuda) session.AppendExecutionProvider_CUDA(options.CudaDeviceId);
        return session;
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
