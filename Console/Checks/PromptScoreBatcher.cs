using System.Collections.Concurrent;
using System.Threading.Channels;
using ModerationConsole.Scoring.Runtime;

namespace ModerationConsole.Checks;

/// <summary>
/// Scores the prompts of checks asked at the same moment in one model run: a check queues its prompt, and whatever
/// queued while the previous run was busy goes into the next (up to <see cref="MaxBatch"/>). A lone check is run at once, on
/// its own thread, so batching adds no wait; under load one run's fixed cost (tensors, the native call) is shared by many checks.
/// Batched scores are those of the ingest path, which scores prompts in batches too.
/// </summary>
public sealed class PromptScoreBatcher
{
    public const int MaxBatch = 64;
    private readonly ConcurrentDictionary<LoadedClassifier, Lane> lanes = new();

    public Task<float[]> ScoreAsync(LoadedClassifier model, string prompt) => lanes.GetOrAdd(model, m => new Lane(m)).ScoreAsync(prompt);

    private sealed class Lane(LoadedClassifier model)
    {
        private readonly Channel<(string Prompt, TaskCompletionSource<float[]> Scores)> waiting =
            Channel.CreateUnbounded<(string, TaskCompletionSource<float[]>)>(new UnboundedChannelOptions { SingleReader = true });
        private int running;
        // Only the run in progress uses it (one at a time), so it is made once.
        private readonly List<(string Prompt, TaskCompletionSource<float[]> Scores)> batch = new(MaxBatch);

        public Task<float[]> ScoreAsync(string prompt)
        {
            var scores = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting.Writer.TryWrite((prompt, scores));
            // No run busy: this caller runs the next batch itself, its own prompt in it, with no hop to another thread.
            if (Interlocked.CompareExchange(ref running, 1, 0) == 0) RunBatch();
            return scores.Task;
        }

        /// <summary>
        /// One batch of what waits; then, if more came meanwhile, the next batch goes to the thread pool, so that the
        /// caller that ran this one is not held up by others' prompts. One batch runs at a time.
        /// </summary>
        private void RunBatch()
        {
            while (batch.Count < MaxBatch && waiting.Reader.TryRead(out var next)) batch.Add(next);
            if (batch.Count > 0)
            {
                try
                {
                    var scores = TextBatchRunner.Run(model, batch.Select(b => b.Prompt).ToList(), batch.Count);
                    for (var i = 0; i < batch.Count; i++) batch[i].Scores.SetResult(scores[i]);
                }
                catch (Exception failed)
                {
                    foreach (var waiter in batch) waiter.Scores.SetException(failed);
                }
                batch.Clear();
            }
            Volatile.Write(ref running, 0);
            if (waiting.Reader.TryPeek(out _) && Interlocked.CompareExchange(ref running, 1, 0) == 0)
                ThreadPool.UnsafeQueueUserWorkItem(_ => RunBatch(), null);
        }
    }
}
