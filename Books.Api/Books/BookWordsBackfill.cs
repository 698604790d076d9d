using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Makes the search words again for books whose words are older than <see cref="BookWords.Version"/> (stored before
/// the words existed, or before their rules last changed: any derived field missing or out of date), at startup. It
/// walks the collection once in <c>_id</c> order, <see cref="BatchSize"/> books a find, pausing
/// <see cref="BatchPause"/> between batches (at most 5,000 books a second per replica), and writes a book only if it
/// is still at the version it read and still outdated: a write racing it keeps its own words (the batch is read again
/// for the books it missed, up to <see cref="RacedRereads"/> times), and replicas starting together do not write a
/// book twice. Retried with a backoff while MongoDB cannot be reached.
/// </summary>
public sealed partial class BookWordsBackfill(IMongoCollection<Book> books, BookQueryLimits limits, ILogger<BookWordsBackfill> logger) : BackgroundService
{
    public const int BatchSize = 500;

    /// <summary>The pause between batches, so the backfill leaves room for the requests.</summary>
    internal static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(100);

    /// <summary>How many times a batch is read again for books a racing write changed between the read and the write.</summary>
    internal const int RacedRereads = 3;

    private static readonly FilterDefinitionBuilder<Book> s_filter = Builders<Book>.Filter;
    private static readonly FilterDefinition<Book> s_outdated = s_filter.Not(s_filter.Gte(b => b.WordsVersion, BookWords.Version));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = BookIndexes.FirstRetryDelay;
        var filled = 0;
        var after = MongoDB.Bson.ObjectId.Empty;
        var rereads = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await books.Find(s_filter.Gt(b => b.Id, after) & s_outdated, limits.FindOptions)
                    .SortBy(b => b.Id).Limit(BatchSize).ToListAsync(stoppingToken);
                if (batch.Count > 0)
                {
                    var result = await books.BulkWriteAsync(
                        batch.Select(book => new UpdateOneModel<Book>(
                            s_filter.Eq(b => b.Id, book.Id) & s_filter.Eq(b => b.Version, book.Version) & s_outdated,
                            Builders<Book>.Update
                                .Set(b => b.TitleWords, BookWords.Of(book.Title))
                                .Set(b => b.AuthorWords, BookWords.Of(book.Authors))
                                .Set(b => b.WordsVersion, BookWords.Version))),
                        new BulkWriteOptions { IsOrdered = false },
                        stoppingToken);
                    filled += (int)result.ModifiedCount;
                    if (result.MatchedCount < batch.Count && rereads++ < RacedRereads)
                    {
                        continue; // some changed since the read: the find skips those now up to date, and reads the others again
                    }

                    after = batch[^1].Id;
                    rereads = 0;
                }

                if (batch.Count < BatchSize)
                {
                    if (filled > 0)
                    {
                        LogFilled(filled, BookWords.Version);
                    }

                    return;
                }

                await Task.Delay(BatchPause, stoppingToken);
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                LogFailed(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, BookIndexes.MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search words made again for {Count} books, by the rules of version {WordsVersion}.")]
    private partial void LogFilled(int count, int wordsVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not make the search words of stored books again; retrying in {DelaySeconds} s.")]
    private partial void LogFailed(Exception exception, double delaySeconds);
}
