using System.Collections.Concurrent;

namespace Books.Api.Database;

/// <summary>
/// Where each index build stands, for the writes that wait for the unique ISBN index, the readiness check and the
/// startup wait: pending, created, refused for a reason an operator must clear, unreachable, or missing again.
/// </summary>
public sealed class BookIndexStatus
{
    private readonly ConcurrentDictionary<string, IndexState> _states = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _isbnIndexSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _isbnFirstTry = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The unique ISBN index exists: a write cannot store a second book with an ISBN already stored.</summary>
    public bool IsbnIndexReady => _states.TryGetValue(BookIndexModels.IsbnIndexName, out var state) && state.Ready;

    /// <summary>Why writes that store a book wait, for their 503; null once the unique ISBN index exists.</summary>
    public string? WritesWaitFor => _states.TryGetValue(BookIndexModels.IsbnIndexName, out var state) && !state.Ready ? state.Reason : null;

    /// <summary>The unique ISBN index was created, or its build waits for an operator: either way, not soon.</summary>
    public Task IsbnIndexSettled => _isbnIndexSettled.Task;

    /// <summary>The first try at the unique ISBN index has ended, whatever its outcome: the other builds may start.</summary>
    public Task IsbnIndexFirstTry => _isbnFirstTry.Task;

    public bool AllReady => !_states.IsEmpty && _states.Values.All(state => state.Ready);

    /// <summary>The builds not done yet and why, by name; empty once every index exists.</summary>
    public IReadOnlyList<(string Name, string? Reason, bool Unreachable)> Missing =>
        [.. _states.Where(entry => !entry.Value.Ready).OrderBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => (entry.Key, entry.Value.Reason, entry.Value == IndexState.Unreachable))];

    public bool Started => !_states.IsEmpty;

    public void Begin(string name) => _states[name] = IndexState.Pending;

    /// <summary>Records a created index; true when it recovers from a failure (logged by the caller).</summary>
    public bool Created(string name)
    {
        var before = _states.GetValueOrDefault(name);
        _states[name] = IndexState.Created;
        if (name == BookIndexModels.IsbnIndexName)
        {
            _isbnIndexSettled.TrySetResult();
            _isbnFirstTry.TrySetResult();
        }

        return before?.Reason is not null;
    }

    /// <summary>Records a try that MongoDB refused for a reason an operator must clear; true when it differs from the last.</summary>
    public bool WaitsForOperator(string name, string reason) => Fail(name, new IndexState(false, reason));

    /// <summary>Records a try that could not reach MongoDB; true when it differs from the last.</summary>
    public bool Unreachable(string name) => Fail(name, IndexState.Unreachable);

    /// <summary>Records that an index once created has gone; true when it differs from the last.</summary>
    public bool Gone(string name) => Fail(name, IndexState.Missing);

    /// <summary>The first try at the unique ISBN index ended without creating it.</summary>
    public void IsbnFirstTryEnded() => _isbnFirstTry.TrySetResult();

    private bool Fail(string name, IndexState state)
    {
        var before = _states.GetValueOrDefault(name);
        _states[name] = state;
        if (name == BookIndexModels.IsbnIndexName && state != IndexState.Unreachable)
        {
            _isbnIndexSettled.TrySetResult(); // not soon: an operator has to act first
        }

        return before?.Reason != state.Reason;
    }

    private sealed record IndexState(bool Ready, string? Reason)
    {
        public static readonly IndexState Pending = new(false, null);
        public static readonly IndexState Created = new(true, null);
        public static readonly IndexState Unreachable = new(false, "MongoDB could not be reached; retrying.");
        public static readonly IndexState Missing = new(false,
            "The unique ISBN index has gone (dropped, or the collection restored without its indexes); books-api is building it again.");
    }
}
