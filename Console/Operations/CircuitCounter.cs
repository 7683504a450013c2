using Microsoft.AspNetCore.Components.Server.Circuits;

namespace ModerationConsole.Operations;

/// <summary>Counts the Blazor circuits (open pages) of this instance: a metric for operators and the basis of the memory bench.</summary>
public sealed class CircuitCounter : CircuitHandler
{
    private int open;

    public int Open => Volatile.Read(ref open);

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref open);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        Interlocked.Decrement(ref open);
        return Task.CompletedTask;
    }
}
