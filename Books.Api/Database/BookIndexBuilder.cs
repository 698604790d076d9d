using Books.Api.Books;
using Books.Api.Limits;
using Books.Settings;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace Books.Api.Database;

/// <summary>
/// Ensures the indexes at startup (createIndexes is idempotent) in three commands, each one collection scan: the
/// unique ISBN index alone, since writes that store a book wait for it and stored duplicates must not hold the others
/// back; the other books indexes together; and the TTL index that expires the write limit's past windows. Reads never
/// wait for any of them: readiness is about reads (<see cref="BookIndexesHealthCheck"/>).
/// <para>
/// A refusal an operator must clear (<see cref="BookIndexRefusals"/>) is logged once per change and retried with a
/// backoff growing to <see cref="OperatorRetryDelay"/>, so the fix is picked up without a restart; anything else
/// (MongoDB unreachable, say) with a backoff up to <see cref="MaxRetryDelay"/>. Once created, the unique ISBN index is
/// checked every <see cref="IndexSettings.CheckSeconds"/>, and built again if it has gone.
/// </para>
/// </summary>
public sealed partial class BookIndexBuilder(
    IMongoCollection<Book> books, IMongoCollection<WriteLog> writeLogs, IOptions<IndexSettings> settings, BookQueryLimits limits,
    BookIndexStatus status, BookIndexRefusals refusals, ILogger<BookIndexBuilder> logger)
    : BackgroundService
{
    /// <summary>The longest wait between tries while MongoDB cannot be reached.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between tries while an index waits for an operator: each try may be a full index build.</summary>
    internal static readonly TimeSpan OperatorRetryDelay = TimeSpan.FromMinutes(10);

    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long starting books-api waits for the unique ISBN index before it serves anyway (writes then 503).</summary>
    internal static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Starts the builds, and lets the host finish starting once the unique ISBN index is settled, or after
    /// <see cref="StartupWait"/>: a reachable MongoDB creates it in milliseconds on a new collection, so a books-api that
    /// has started takes writes at once; a long build or an unreachable MongoDB is left to the background.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(StartupWait);
        try
        {
            await status.IsbnIndexSettled.WaitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not yet: serve reads meanwhile.
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var quorum = BookIndexModels.CommitQuorum(settings.Value.CommitQuorum);
        var builds = new (string Name, Func<CancellationToken, Task> Create)[]
        {
            (BookIndexModels.IsbnIndexName, token => books.Indexes.CreateOneAsync(BookIndexModels.IsbnIndex, new CreateOneIndexOptions { CommitQuorum = quorum }, token)),
            (BookIndexModels.ListingIndexesName, token => books.Indexes.CreateManyAsync(BookIndexModels.Models.Skip(1), new CreateManyIndexesOptions { CommitQuorum = quorum }, token)),
            (WriteLog.ExpiryIndex.Options.Name!, token => writeLogs.Indexes.CreateOneAsync(WriteLog.ExpiryIndex, new CreateOneIndexOptions { CommitQuorum = quorum }, token)),
        };
        foreach (var (name, _) in builds)
        {
            status.Begin(name);
        }

        // The unique ISBN index first: writes wait for it, and the server runs only a few index builds at once.
        var isbn = EnsureIsbnIndexAsync(builds[0].Create, quorum, stoppingToken);
        return Task.WhenAll(builds.Skip(1).Select(async build =>
        {
            await status.IsbnIndexFirstTry.WaitAsync(stoppingToken);
            await EnsureAsync(build.Name, build.Create, quorum, stoppingToken);
        }).Prepend(isbn));
    }

    /// <summary>Ensures the unique ISBN index; then, every <see cref="IndexSettings.CheckSeconds"/>, that it is still there.</summary>
    private async Task EnsureIsbnIndexAsync(Func<CancellationToken, Task> create, CreateIndexCommitQuorum? quorum, CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(settings.Value.CheckSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            await EnsureAsync(BookIndexModels.IsbnIndexName, create, quorum, stoppingToken);
            while (await IsbnIndexPresentAsync(interval, stoppingToken))
            {
            }

            if (!stoppingToken.IsCancellationRequested && status.Gone(BookIndexModels.IsbnIndexName))
            {
                LogIsbnIndexMissing(BookIndexModels.IsbnIndexName);
            }
        }
    }

    /// <summary>After <paramref name="wait"/>, whether the unique ISBN index (or an equivalent) exists; true when MongoDB cannot say.</summary>
    private async Task<bool> IsbnIndexPresentAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        await Task.Delay(wait, stoppingToken);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(limits.TimeLimit);
        try
        {
            return await refusals.EquivalentIsbnIndexAsync(bounded.Token, includeOwn: true) is not null;
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
                Created(name);
                return;
            }
            catch (MongoCommandException ex) when (BookIndexRefusals.WaitsForOperator(ex, quorum))
            {
                if (await AdoptedAsync(name, ex, stoppingToken))
                {
                    return;
                }

                await WaitForOperatorAsync(name, ex, stoppingToken);
                maxDelay = OperatorRetryDelay;
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                if (status.Unreachable(name))
                {
                    LogIndexFailed(ex, name);
                }

                maxDelay = MaxRetryDelay;
            }

            if (name == BookIndexModels.IsbnIndexName)
            {
                status.IsbnFirstTryEnded();
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
        }
    }

    /// <summary>A refusal with 85 of the unique ISBN index, where an equivalent index exists: that one serves.</summary>
    private async Task<bool> AdoptedAsync(string name, MongoCommandException ex, CancellationToken stoppingToken)
    {
        if (name != BookIndexModels.IsbnIndexName || ex.Code != MongoErrorCodes.IndexOptionsConflict
            || await refusals.EquivalentIsbnIndexAsync(stoppingToken) is not { } adopted)
        {
            return false;
        }

        LogAdopted(adopted, BookIndexModels.IsbnIndexName);
        Created(name);
        return true;
    }

    private async Task WaitForOperatorAsync(string name, MongoCommandException ex, CancellationToken stoppingToken)
    {
        var (reason, duplicates) = ex.Code == MongoErrorCodes.DuplicateKey && name == BookIndexModels.IsbnIndexName
            ? await refusals.DescribeDuplicatesAsync(stoppingToken)
            : (BookIndexRefusals.Remedy(name, ex, settings.Value.CommitQuorum), null);
        if (status.WaitsForOperator(name, reason))
        {
            LogWaitsForOperator(ex, name, ex.Code, reason);
            if (duplicates is not null)
            {
                LogDuplicates(BookIndexRefusals.DuplicatesNamed, duplicates);
            }
        }
    }

    private void Created(string name)
    {
        if (status.Created(name))
        {
            LogIndexRecovered(name);
        }

        if (status.AllReady && Interlocked.Exchange(ref _announced, 1) == 0)
        {
            LogIndexesReady(BookIndexModels.Models.Count + 1); // the books indexes and the write limit's TTL index
        }
    }

    private int _announced;

}
