using MongoDB.Driver;

using Books.Api.Books;
using Books.Api.Limits;

namespace Books.Api.Database;

/// <summary>
/// Makes the search words and the sort and filter keys again for books made by older rules than
/// <see cref="BookWords.Version"/> (stored before the words existed, or before their rules last changed), at startup.
/// Each batch finds up to <see cref="BatchSize"/> outdated books through the <c>words_version</c> index
/// (<see cref="Outdated"/> names no other field), so a batch reads only books still to do, whatever the collection's
/// size, and once every book is current the whole cost is one empty index range. Books written are no longer outdated,
/// so the next batch finds the next ones; no position is kept. A book is written only if it is still at the version
/// it read and still outdated, and the filter names its ISBN (the shard key, DEPLOYMENT.md): a write racing it keeps
/// its own words, and the next batch reads the book again. A batch that writes nothing, <see cref="RacedRereads"/>
/// times in a row, ends the run (the rest waits for the next start). Pauses <see cref="BatchPause"/> between batches
/// (at most 5,000 books a second per replica); retried with a backoff while MongoDB cannot be reached.
/// </summary>
public sealed partial class BookWordsBackfill(IMongoCollection<Book> books, BookQueryLimits limits, ILogger<BookWordsBackfill> logger) : BackgroundService
{
    public const int BatchSize = 500;

    /// <summary>The pause between batches, so the backfill leaves room for the requests.</summary>
    internal static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(100);

    /// <summary>How many batches in a row may write nothing (every book in them changed by a racing write) before the run ends.</summary>
    internal const int RacedRereads = 3;

    private static readonly FilterDefinitionBuilder<Book> s_filter = Builders<Book>.Filter;

    /// <summary>Books made by older rules: wordsVersion below the current one, or missing (MongoDB's $not matches a missing field).</summary>
    public static FilterDefinition<Book> Outdated { get; } = s_filter.Not(s_filter.Gte(b => b.WordsVersion, BookWords.Version));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = BookIndexBuilder.FirstRetryDelay;
        var filled = 0;
        var fruitless = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await books.Find(Outdated, limits.FindOptions).Limit(BatchSize).ToListAsync(stoppingToken);
                if (batch.Count == 0)
                {
                    LogFilled(filled, BookWords.Version);
                    return;
                }

                var result = await books.BulkWriteAsync(batch.Select(Remake), new BulkWriteOptions { IsOrdered = false }, stoppingToken);
                filled += (int)result.ModifiedCount;
                fruitless = result.ModifiedCount == 0 ? fruitless + 1 : 0;
                if (fruitless >= RacedRereads)
                {
                    LogRaced(batch.Count, RacedRereads);
                    return;
                }

                await Task.Delay(BatchPause, stoppingToken);
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                LogFailed(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, BookIndexBuilder.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>The update that makes one book's words and keys again, if it is still the book that was read.</summary>
    internal static UpdateOneModel<Book> Remake(Book book) => new(
        s_filter.Eq(b => b.Id, book.Id) & s_filter.Eq(b => b.Isbn, book.Isbn) & s_filter.Eq(b => b.Version, book.Version) & Outdated,
        Builders<Book>.Update
            .Set(b => b.TitleKey, BookDocuments.TitleKey(book.Title))
            .Set(b => b.AuthorKeys, BookDocuments.AuthorKeys(book.Authors))
            .Set(b => b.TitleWords, BookWords.Of(book.Title))
            .Set(b => b.AuthorWords, BookWords.Of(book.Authors))
            .Set(b => b.WordsVersion, BookWords.Version));

    [LoggerMessage(Level = LogLevel.Information, Message = "Search words and keys made again for {Count} books, by the rules of version {WordsVersion}.")]
    private partial void LogFilled(int count, int wordsVersion);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Search words: {Count} outdated books changed under each of {Batches} batches in a row; the rest are made again at the next start.")]
    private partial void LogRaced(int count, int batches);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not make the search words of stored books again; retrying in {DelaySeconds} s.")]
    private partial void LogFailed(Exception exception, double delaySeconds);
}
