using Books.Api.Http;
using System.Collections.Concurrent;
using Books.Api.Security;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Ensures the indexes at startup (createIndexes is idempotent), each on its own: the books collection's, and the
/// TTL index that expires the write rate limit's past windows. Writes that store a book wait for the unique ISBN
/// index (<see cref="IsbnIndexReady"/>; without it a duplicate could slip in); the others build in the background.
/// An error that retrying cannot clear (an existing index in the way, codes 85/86; a missing privilege, 13) stops
/// the retries of that index and puts MongoDB's message in the <c>books-indexes</c> check; anything else (MongoDB
/// unreachable, say) is retried with a backoff up to <see cref="MaxRetryDelay"/>.
/// </summary>
public sealed partial class BookIndexes(IMongoCollection<Book> books, IMongoCollection<WriteLog> writeLogs, ILogger<BookIndexes> logger)
    : BackgroundService, IHealthCheck
{
    public const string HealthCheckName = "books-indexes";
    public const string IsbnIndexName = "isbn_unique";
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    // IndexOptionsConflict, IndexKeySpecsConflict, Unauthorized: the same request fails the same way until someone acts.
    private static readonly HashSet<int> s_permanentCodes = [85, 86, 13];

    private readonly ConcurrentDictionary<string, IndexState> _states = new(StringComparer.Ordinal);
    private int _announced;

    /// <summary>
    /// The unique ISBN index, and one index per listing shape, keys in equality, sort, range order (ESR): each sort
    /// (key, then _id, the keyset cursor's order) alone; after an author or a tag (multikey equality); followed by the
    /// year for a year range under another sort; and the search words, whose anchored prefixes bound a scan on their
    /// own. The shape each serves is listed in DEPLOYMENT.md and held by BookQueryShapeTests.
    /// </summary>
    public static IReadOnlyList<CreateIndexModel<Book>> Models { get; } =
    [
        new(Builders<Book>.IndexKeys.Ascending(b => b.Isbn), new CreateIndexOptions { Name = IsbnIndexName, Unique = true }),
        Index("title_id", BookSort.TitleField, "_id"),
        Index("year_id", BookSort.YearField, "_id"),
        Index("created_id", BookSort.CreatedField, "_id"),
        Index("authors_title_id", "authorKeys", BookSort.TitleField, "_id"),
        Index("authors_year_id", "authorKeys", BookSort.YearField, "_id"),
        Index("authors_created_id", "authorKeys", BookSort.CreatedField, "_id"),
        Index("tags_title_id", "tags", BookSort.TitleField, "_id"),
        Index("tags_year_id", "tags", BookSort.YearField, "_id"),
        Index("tags_created_id", "tags", BookSort.CreatedField, "_id"),
        Index("title_id_year", BookSort.TitleField, "_id", BookSort.YearField),
        Index("created_id_year", BookSort.CreatedField, "_id", BookSort.YearField),
        Index("title_words", "titleWords"),
        Index("author_words", "authorWords"),
    ];

    private static CreateIndexModel<Book> Index(string name, params string[] fields) =>
        new(Builders<Book>.IndexKeys.Combine(fields.Select(field => Builders<Book>.IndexKeys.Ascending(field))), new CreateIndexOptions { Name = name });

    /// <summary>How long starting books-api waits for the unique ISBN index before it serves anyway (writes then 503).</summary>
    internal static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _isbnIndexSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The unique ISBN index exists: a write cannot store a second book with an ISBN already stored.</summary>
    public bool IsbnIndexReady => _states.TryGetValue(IsbnIndexName, out var state) && state.Ready;

    /// <summary>
    /// Starts ensuring the indexes, and lets the host finish starting once the unique ISBN index exists, or after
    /// <see cref="StartupWait"/>: a reachable MongoDB creates it in milliseconds, so a books-api that has started takes
    /// writes at once; an unreachable one is left to the retries, and writes answer 503 until then.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(StartupWait);
        try
        {
            await _isbnIndexSettled.Task.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not yet: serve reads meanwhile.
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var indexes = Models
            .Select(model => (Name: model.Options.Name!, Create: (Func<CancellationToken, Task>)(token => books.Indexes.CreateOneAsync(model, cancellationToken: token))))
            .Append((Name: WriteLog.ExpiryIndex.Options.Name!, Create: token => writeLogs.Indexes.CreateOneAsync(WriteLog.ExpiryIndex, cancellationToken: token)))
            .ToList();
        foreach (var (name, _) in indexes)
        {
            _states[name] = IndexState.Pending;
        }

        return Task.WhenAll(indexes.Select(index => EnsureAsync(index.Name, index.Create, stoppingToken)));
    }

    private async Task EnsureAsync(string name, Func<CancellationToken, Task> create, CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await create(stoppingToken);
                _states[name] = IndexState.Created;
                if (name == IsbnIndexName)
                {
                    _isbnIndexSettled.TrySetResult();
                }

                if (_states.Values.All(state => state.Ready) && Interlocked.Exchange(ref _announced, 1) == 0)
                {
                    LogIndexesReady(_states.Count);
                }

                return;
            }
            catch (MongoCommandException ex) when (s_permanentCodes.Contains(ex.Code))
            {
                _states[name] = IndexState.Failed(ex.ErrorMessage ?? ex.Message);
                if (name == IsbnIndexName)
                {
                    _isbnIndexSettled.TrySetResult(); // nothing left to wait for: it will not be created
                }

                LogIndexFailedForGood(ex, name, ex.Code);
                return;
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                LogIndexFailed(ex, name, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Healthy once every index exists. Unhealthy while the unique ISBN index does not (writes answer 503);
    /// Degraded (still ready) while another index is missing, since queries then scan more than they should.
    /// A failure retrying cannot clear is described with MongoDB's own message.
    /// </summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = _states.Where(entry => !entry.Value.Ready).OrderBy(entry => entry.Key, StringComparer.Ordinal).ToList();
        if (_states.IsEmpty)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "Writes wait for the unique ISBN index. The books indexes are not created yet."));
        }

        if (missing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        var description = string.Join(" ", missing.Select(entry => entry.Value.Error is { } error
            ? $"Index {entry.Key} cannot be created, and is not retried until books-api restarts: {error}"
            : $"Index {entry.Key} is not created yet."));
        return Task.FromResult(IsbnIndexReady
            ? HealthCheckResult.Degraded(description)
            : new HealthCheckResult(context.Registration.FailureStatus, "Writes wait for the unique ISBN index. " + description));
    }

    private sealed record IndexState(bool Ready, string? Error)
    {
        public static readonly IndexState Pending = new(false, null);
        public static readonly IndexState Created = new(true, null);

        public static IndexState Failed(string error) => new(false, error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Books indexes ensured ({Count}).")]
    private partial void LogIndexesReady(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure index {Index}; retrying in {DelaySeconds} s.")]
    private partial void LogIndexFailed(Exception exception, string index, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Index {Index} cannot be created (MongoDB error {Code}), and is not retried: fix the cause and restart books-api.")]
    private partial void LogIndexFailedForGood(Exception exception, string index, int code);

    /// <summary>Endpoint filter for writes that store a book: 503 with Retry-After until the unique ISBN index exists.</summary>
    internal static ValueTask<object?> WaitForIsbnIndex(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.RequestServices.GetRequiredService<BookIndexes>().IsbnIndexReady)
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.RetryAfter = "5";
        return ValueTask.FromResult<object?>(BooksProblems.NotReadyForWrites.Result(BooksProblems.NotReadyForWrites.Detail()));
    }
}
