using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Gives books stored before search words existed their <c>titleWords</c> and <c>authorWords</c>, at startup: in
/// batches of <see cref="BatchSize"/>, each one find of books without the field and one unordered bulk write, until a
/// batch comes back short. Idempotent: a book that has its words is never touched, and two replicas doing it at
/// once write the same values. Retried with a backoff while MongoDB cannot be reached.
/// </summary>
public sealed partial class BookWordsBackfill(IMongoCollection<Book> books, ILogger<BookWordsBackfill> logger) : BackgroundService
{
    public const int BatchSize = 500;

    private static readonly FilterDefinition<Book> s_withoutWords = Builders<Book>.Filter.Exists(b => b.TitleWords, exists: false);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = BookIndexes.FirstRetryDelay;
        var filled = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await books.Find(s_withoutWords).Limit(BatchSize).ToListAsync(stoppingToken);
                if (batch.Count > 0)
                {
                    await books.BulkWriteAsync(
                        batch.Select(book => new UpdateOneModel<Book>(
                            Builders<Book>.Filter.Eq(b => b.Id, book.Id) & s_withoutWords,
                            Builders<Book>.Update
                                .Set(b => b.TitleWords, BookWords.Of(book.Title))
                                .Set(b => b.AuthorWords, BookWords.Of(book.Authors)))),
                        new BulkWriteOptions { IsOrdered = false },
                        stoppingToken);
                    filled += batch.Count;
                }

                if (batch.Count < BatchSize)
                {
                    if (filled > 0)
                    {
                        LogFilled(filled);
                    }

                    return;
                }
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                LogFailed(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, BookIndexes.MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search words given to {Count} books stored before they existed.")]
    private partial void LogFilled(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give stored books their search words; retrying in {DelaySeconds} s.")]
    private partial void LogFailed(Exception exception, double delaySeconds);
}
