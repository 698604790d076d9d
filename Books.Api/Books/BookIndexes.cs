using Books.Api.Database;
using Books.Api.Http;
using System.Collections.Concurrent;
using Books.Api.Security;
using Books.Settings;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Ensures the indexes at startup (createIndexes is idempotent) in three commands, each one collection scan: the
/// unique ISBN index alone, since writes that store a book wait for it (<see cref="IsbnIndexReady"/>; without it a
/// duplicate could slip in) and stored duplicates must not hold the others back; the listing indexes together; and
/// the TTL index that expires the write rate limit's past windows. Reads never wait for any of them: readiness
/// (<c>/health</c>) is about reads, and is lost only while MongoDB cannot be reached.
/// <para>
/// A failure an operator must clear (books sharing an ISBN, 11000; an index in the way, 85/86; a shard key the ISBN
/// does not prefix, 67; a missing privilege, 13) is described in <c>books-indexes</c> and in the 503 a write gets,
/// logged once per change, and retried with a backoff growing to <see cref="OperatorRetryDelay"/>, so the fix is
/// picked up without a restart. An equivalent index under another name (the same key, unique) is adopted. Anything
/// else (MongoDB unreachable, say) is retried with a backoff up to <see cref="MaxRetryDelay"/>.
/// </para>
/// </summary>
public sealed partial class BookIndexes(
    IMongoCollection<Book> books, IMongoCollection<WriteLog> writeLogs, IOptions<IndexSettings> settings, BookQueryLimits limits,
    ILogger<BookIndexes> logger)
    : BackgroundService, IHealthCheck
{
    public const string HealthCheckName = "books-indexes";
    public const string IsbnIndexName = "isbn_unique";
    public const string ListingIndexesName = "listing indexes";

    /// <summary>The longest wait between tries while MongoDB cannot be reached.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between tries while an index waits for an operator: each try may be a full index build.</summary>
    internal static readonly TimeSpan OperatorRetryDelay = TimeSpan.FromMinutes(10);

    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How many of the ISBNs stored more than once the log names.</summary>
    internal const int DuplicatesNamed = 20;


    private readonly ConcurrentDictionary<string, IndexState> _states = new(StringComparer.Ordinal);
    private int _announced;

    private static readonly CreateIndexModel<Book> s_isbnIndex =
        new(Builders<Book>.IndexKeys.Ascending(b => b.Isbn), new CreateIndexOptions { Name = IsbnIndexName, Unique = true });

    /// <summary>
    /// The unique ISBN index, and one index per listing shape, keys in equality, sort, range order (ESR): each sort
    /// (key, then _id, the keyset cursor's order) alone, where no longer index starts with the same keys (an index
    /// serves every prefix of its keys: title_id_year serves sort=title alone too); after an author or a tag
    /// (multikey equality); followed by the year for a year range under another sort; the search words, whose anchored
    /// prefixes bound a scan on their own; and the words' version, which the backfill looks for. The shape each serves
    /// is listed in DEPLOYMENT.md and held by BookQueryShapeTests.
    /// </summary>
    public static IReadOnlyList<CreateIndexModel<Book>> Models { get; } =
    [
        s_isbnIndex,
        Index("year_id", BookSort.YearField, "_id"),
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
        Index(WordsVersionIndexName, "wordsVersion"),
    ];

    /// <summary>The index the search-words backfill finds outdated books by (<see cref="BookWordsBackfill"/>).</summary>
    public const string WordsVersionIndexName = "words_version";

    private static CreateIndexModel<Book> Index(string name, params string[] fields) =>
        new(Builders<Book>.IndexKeys.Combine(fields.Select(field => Builders<Book>.IndexKeys.Ascending(field))), new CreateIndexOptions { Name = name });

    /// <summary>How long starting books-api waits for the unique ISBN index before it serves anyway (writes then 503).</summary>
    internal static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _isbnIndexSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _isbnFirstTry = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The unique ISBN index exists: a write cannot store a second book with an ISBN already stored.</summary>
    public bool IsbnIndexReady => _states.TryGetValue(IsbnIndexName, out var state) && state.Ready;

    /// <summary>Why writes that store a book wait, for their 503; null once the unique ISBN index exists.</summary>
    public string? WritesWaitFor => _states.TryGetValue(IsbnIndexName, out var state) && !state.Ready ? state.Reason : null;

    /// <summary>
    /// Starts ensuring the indexes, and lets the host finish starting once the unique ISBN index exists, or after
    /// <see cref="StartupWait"/>: a reachable MongoDB creates it in milliseconds on a new collection, so a books-api
    /// that has started takes writes at once; a long build or an unreachable MongoDB is left to the background, and
    /// writes answer 503 until then.
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
        var quorum = CommitQuorum(settings.Value.CommitQuorum);
        var builds = new (string Name, Func<CancellationToken, Task> Create)[]
        {
            (IsbnIndexName, token => books.Indexes.CreateOneAsync(s_isbnIndex, new CreateOneIndexOptions { CommitQuorum = quorum }, token)),
            (ListingIndexesName, token => books.Indexes.CreateManyAsync(Models.Skip(1), new CreateManyIndexesOptions { CommitQuorum = quorum }, token)),
            (WriteLog.ExpiryIndex.Options.Name!, token => writeLogs.Indexes.CreateOneAsync(WriteLog.ExpiryIndex, new CreateOneIndexOptions { CommitQuorum = quorum }, token)),
        };
        foreach (var (name, _) in builds)
        {
            _states[name] = IndexState.Pending;
        }

        // The unique ISBN index first: writes wait for it, and the server runs only a few index builds at once. The
        // others start once its first try has ended, whatever the outcome.
        var isbn = EnsureIsbnIndexAsync(builds[0].Create, quorum, stoppingToken);
        return Task.WhenAll(builds.Skip(1).Select(async build =>
        {
            await _isbnFirstTry.Task.WaitAsync(stoppingToken);
            await EnsureAsync(build.Name, build.Create, quorum, stoppingToken);
        }).Prepend(isbn));
    }

    /// <summary>
    /// Ensures the unique ISBN index, then checks every <see cref="IndexSettings.CheckSeconds"/> that it is still
    /// there: dropped by hand, or the collection restored without its indexes, it would let a second book take a stored
    /// ISBN. Missing, writes that store a book answer 503 again, and it is built anew.
    /// </summary>
    private async Task EnsureIsbnIndexAsync(Func<CancellationToken, Task> create, CreateIndexCommitQuorum? quorum, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(settings.Value.CheckSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            await EnsureAsync(IsbnIndexName, create, quorum, stoppingToken);
            while (await IsbnIndexPresentAsync(interval, stoppingToken))
            {
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                LogIsbnIndexMissing(IsbnIndexName);
                Fail(IsbnIndexName, IndexState.Missing);
            }
        }
    }

    /// <summary>After <paramref name="wait"/>, whether a unique index on exactly <c>{ isbn: 1 }</c> exists (true when MongoDB cannot say: nothing is known to be missing).</summary>
    private async Task<bool> IsbnIndexPresentAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        await Task.Delay(wait, stoppingToken);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(limits.TimeLimit);
        try
        {
            return await EquivalentIsbnIndexAsync(bounded.Token, includeOwn: true) is not null;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task EnsureAsync(string name, Func<CancellationToken, Task> create, CreateIndexCommitQuorum? quorum, CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan maxDelay;
            try
            {
                await create(stoppingToken);
                Settle(name, IndexState.Created);
                return;
            }
            catch (MongoCommandException ex) when (WaitsForOperator(ex, quorum))
            {
                if (name == IsbnIndexName && ex.Code == MongoErrorCodes.IndexOptionsConflict && await EquivalentIsbnIndexAsync(stoppingToken) is { } adopted)
                {
                    LogAdopted(adopted, IsbnIndexName);
                    Settle(name, IndexState.Created);
                    return;
                }

                var (reason, duplicates) = ex.Code == MongoErrorCodes.DuplicateKey && name == IsbnIndexName
                    ? await DescribeDuplicatesAsync(stoppingToken)
                    : (Remedy(name, ex, settings.Value.CommitQuorum), null);
                if (Fail(name, IndexState.WaitsForOperator(reason)))
                {
                    LogWaitsForOperator(ex, name, ex.Code, reason);
                    if (duplicates is not null)
                    {
                        LogDuplicates(duplicates);
                    }
                }

                maxDelay = OperatorRetryDelay;
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                if (Fail(name, IndexState.Unreachable))
                {
                    LogIndexFailed(ex, name);
                }

                maxDelay = MaxRetryDelay;
            }

            if (name == IsbnIndexName)
            {
                _isbnFirstTry.TrySetResult();
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
        }
    }

    private void Settle(string name, IndexState state)
    {
        var before = _states.GetValueOrDefault(name);
        _states[name] = state;
        if (name == IsbnIndexName)
        {
            _isbnIndexSettled.TrySetResult();
            _isbnFirstTry.TrySetResult();
        }

        if (before?.Reason is not null)
        {
            LogIndexRecovered(name);
        }

        if (_states.Values.All(s => s.Ready) && Interlocked.Exchange(ref _announced, 1) == 0)
        {
            LogIndexesReady(Models.Count + 1); // the books indexes and the write limit's TTL index
        }
    }

    /// <summary>Records a failed try; true when it differs from the last one, so it is logged once per change, not per try.</summary>
    private bool Fail(string name, IndexState state)
    {
        var before = _states.GetValueOrDefault(name);
        _states[name] = state;
        if (name == IsbnIndexName && state.Reason != IndexState.Unreachable.Reason)
        {
            _isbnIndexSettled.TrySetResult(); // not soon: an operator has to act first
        }

        return before?.Reason != state.Reason;
    }

    /// <summary>
    /// An index on exactly <c>{ isbn: 1 }</c>, unique, under another name (isbn_1, made by hand or by sharding): it does
    /// the same job. With <paramref name="includeOwn"/>, <see cref="IsbnIndexName"/> itself counts, and a failure to list
    /// the indexes answers "present" (nothing is known to be missing).
    /// </summary>
    private async Task<string?> EquivalentIsbnIndexAsync(CancellationToken cancellationToken, bool includeOwn = false)
    {
        List<BsonDocument> indexes;
        try
        {
            using var cursor = await books.Indexes.ListAsync(cancellationToken);
            indexes = await cursor.ToListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return includeOwn ? IsbnIndexName : null; // adoption: described as the conflict it is, and tried again
        }

        return indexes.FirstOrDefault(index =>
                index["key"] is BsonDocument { ElementCount: 1 } key && key.GetElement(0) is { Name: "isbn", Value: { IsNumeric: true } order } && order.ToDouble() == 1
                && index.GetValue("unique", false).ToBoolean()
                && !index.Contains("partialFilterExpression")
                && !index.Contains("collation")
                && (includeOwn || index["name"] != IsbnIndexName))
            ?["name"].AsString;
    }

    /// <summary>
    /// Counts the ISBNs stored on more than one book (a bounded aggregation): what a write's 503 says, and the first
    /// <see cref="DuplicatesNamed"/> of them by ISBN for the log, so that an operator can find the books.
    /// </summary>
    private async Task<(string Reason, string? Named)> DescribeDuplicatesAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        var named = new List<string>();
        try
        {
            PipelineDefinition<Book, BsonDocument> pipeline = new BsonDocument[]
            {
                new("$group", new BsonDocument { ["_id"] = "$isbn", ["books"] = new BsonDocument("$sum", 1) }),
                new("$match", new BsonDocument("books", new BsonDocument("$gt", 1))),
                new("$sort", new BsonDocument("_id", 1)),
            };
            using var cursor = await books.AggregateAsync(pipeline, new AggregateOptions { MaxTime = limits.TimeLimit, AllowDiskUse = true }, cancellationToken);
            await cursor.ForEachAsync(duplicate =>
            {
                if (count++ < DuplicatesNamed)
                {
                    named.Add($"{duplicate["_id"]} ({duplicate["books"]} books)");
                }
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            // The reason goes to callers and /health, so the driver's message (which can name servers) stays in the log.
            LogDuplicatesNotCounted(ex);
            return ("Some ISBNs are stored on more than one book (MongoDB refused the unique index with error 11000), and they could not be counted. "
                + "Find them with an aggregation that groups the books by isbn.", null);
        }

        return ($"{count} ISBN{(count == 1 ? " is" : "s are")} stored on more than one book, so MongoDB cannot build the unique ISBN index. "
            + $"books-api's log names {(count > DuplicatesNamed ? $"the first {DuplicatesNamed}" : "them")} (\"ISBNs stored on more than one book\"); "
            + "remove or correct the extra books, and writes resume within the retry delay.", string.Join(", ", named));
    }

    /// <summary>
    /// Whether retrying alone cannot clear <paramref name="ex"/>: stored duplicates (11000), an index in the way (85, 86),
    /// a build MongoDB cannot make (67), a missing privilege (13), or the commit quorum refused: BadValue (2) when one
    /// was sent ("Standalones can't specify commitQuorum", src/mongo/db/commands/create_indexes_cmd.cpp,
    /// parseAndGetCommitQuorum) or UnsatisfiableCommitQuorum (278, a tag or number the replica set cannot meet).
    /// </summary>
    private static bool WaitsForOperator(MongoCommandException ex, CreateIndexCommitQuorum? quorum) => ex.Code switch
    {
        MongoErrorCodes.DuplicateKey or MongoErrorCodes.CannotCreateIndex or MongoErrorCodes.IndexOptionsConflict
            or MongoErrorCodes.IndexKeySpecsConflict or MongoErrorCodes.Unauthorized or MongoErrorCodes.UnsatisfiableCommitQuorum => true,
        MongoErrorCodes.BadValue => quorum is not null,
        _ => false,
    };

    /// <summary>What an operator does about each error retrying alone cannot clear; each names the server's own message.</summary>
    private static string Remedy(string name, MongoCommandException ex, string? commitQuorum) => ex.Code switch
    {
        MongoErrorCodes.CannotCreateIndex =>
            $"MongoDB cannot build {name} (error 67: {ex.ErrorMessage}). Its message says why; when the collection is sharded, a unique index "
            + "must have the shard key as its prefix: shard the books collection on { isbn: 1 } (DEPLOYMENT.md, Sharding).",
        MongoErrorCodes.IndexOptionsConflict or MongoErrorCodes.IndexKeySpecsConflict =>
            $"An existing index is in the way of {name} (error {ex.Code}: {ex.ErrorMessage}). Drop or rename it; books-api tries again on its own.",
        MongoErrorCodes.Unauthorized =>
            $"The database user may not create {name} (error 13: {ex.ErrorMessage}). Grant it createIndex on the books database (the readWrite role has it).",
        MongoErrorCodes.BadValue or MongoErrorCodes.UnsatisfiableCommitQuorum =>
            $"MongoDB refused the commit quorum '{IndexSettings.CommitQuorumKey}' = {commitQuorum} for {name} (error {ex.Code}: {ex.ErrorMessage}). "
            + "Leave it unset on a standalone server; on a replica set, name majority, votingMembers, a number of members it has, or a tag its configuration defines.",
        _ => $"MongoDB refused {name} (error {ex.Code}: {ex.ErrorMessage}).",
    };

    /// <summary>
    /// Healthy once every index exists. Unhealthy only while MongoDB cannot be reached (no read could be served either);
    /// otherwise Degraded, which is still ready: reads are served, and writes that store a book answer 503 while the
    /// unique ISBN index is missing, saying why.
    /// </summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_states.IsEmpty)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Writes wait for the unique ISBN index. The books indexes are not created yet."));
        }

        var missing = _states.Where(entry => !entry.Value.Ready).OrderBy(entry => entry.Key, StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        var description = (IsbnIndexReady ? "" : "Writes wait for the unique ISBN index. ")
            + string.Join(" ", missing.Select(entry => $"{Capitalized(entry.Key)}: {entry.Value.Reason ?? "not created yet."}"));
        return Task.FromResult(missing.Any(entry => entry.Value.Reason == IndexState.Unreachable.Reason)
            ? new HealthCheckResult(context.Registration.FailureStatus, description)
            : HealthCheckResult.Degraded(description));
    }

    /// <summary>The setting as the driver takes it: none (the server's default, every voting member), majority, a number, or a tag.</summary>
    internal static CreateIndexCommitQuorum? CommitQuorum(string? setting) => setting switch
    {
        null or "" => null,
        "majority" => CreateIndexCommitQuorum.Majority,
        "votingMembers" => CreateIndexCommitQuorum.VotingMembers,
        _ when int.TryParse(setting, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var members) =>
            CreateIndexCommitQuorum.Create(members),
        _ => CreateIndexCommitQuorum.Create(setting),
    };

    private static string Capitalized(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    private sealed record IndexState(bool Ready, string? Reason)
    {
        public static readonly IndexState Pending = new(false, null);
        public static readonly IndexState Created = new(true, null);
        public static readonly IndexState Unreachable = new(false, "MongoDB could not be reached; retrying.");
        public static readonly IndexState Missing = new(false,
            "The unique ISBN index has gone (dropped, or the collection restored without its indexes); books-api is building it again.");

        public static IndexState WaitsForOperator(string reason) => new(false, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Books indexes ensured ({Count}).")]
    private partial void LogIndexesReady(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure {Index}; retrying with a backoff until MongoDB answers.")]
    private partial void LogIndexFailed(Exception exception, string index);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Index} cannot be created (MongoDB error {Code}) until an operator acts: {Remedy}")]
    private partial void LogWaitsForOperator(Exception exception, string index, int code, string remedy);

    [LoggerMessage(Level = LogLevel.Error, Message = "ISBNs stored on more than one book, the first 20 by ISBN: {Isbns}.")]
    private partial void LogDuplicates(string isbns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the ISBNs stored on more than one book.")]
    private partial void LogDuplicatesNotCounted(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Index} has gone from the books collection; writes that store a book wait until it is built again.")]
    private partial void LogIsbnIndexMissing(string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Index} exists now.")]
    private partial void LogIndexRecovered(string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "The existing index {Existing} has the key and options of {Index}, and serves as it.")]
    private partial void LogAdopted(string existing, string index);

    /// <summary>Endpoint filter for writes that store a book: 503 with Retry-After until the unique ISBN index exists, saying why.</summary>
    internal static ValueTask<object?> WaitForIsbnIndex(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var indexes = context.HttpContext.RequestServices.GetRequiredService<BookIndexes>();
        if (indexes.IsbnIndexReady)
        {
            return next(context);
        }

        context.HttpContext.Response.Headers.RetryAfter = "5";
        var detail = BooksProblems.NotReadyForWrites.Detail() + (indexes.WritesWaitFor is { } reason ? " " + reason : "");
        return ValueTask.FromResult<object?>(BooksProblems.NotReadyForWrites.Result(detail));
    }
}
