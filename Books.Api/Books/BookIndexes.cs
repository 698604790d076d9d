using Microsoft.Extensions.Diagnostics.HealthChecks;
using Books.Api.Security;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Ensures the indexes at startup (createIndexes is idempotent), retrying while MongoDB is unreachable:
/// the books collection's, and the TTL index that expires the write rate limit's past windows. Until they
/// exist the <c>books-indexes</c> check keeps the API unready, because without the unique ISBN index a
/// duplicate could slip in.
/// </summary>
public sealed partial class BookIndexes(IMongoCollection<Book> books, IMongoCollection<WriteWindow> writeWindows, ILogger<BookIndexes> logger)
    : BackgroundService, IHealthCheck
{
    public const string HealthCheckName = "books-indexes";
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private volatile bool _ready;

    public static IReadOnlyList<CreateIndexModel<Book>> Models { get; } =
    [
        new(Builders<Book>.IndexKeys.Ascending(b => b.Isbn), new CreateIndexOptions { Name = "isbn_unique", Unique = true }),
        new(Builders<Book>.IndexKeys.Ascending(b => b.TitleKey).Ascending(b => b.Id), new CreateIndexOptions { Name = "title_id" }),
        new(Builders<Book>.IndexKeys.Ascending(b => b.YearKey).Ascending(b => b.Id), new CreateIndexOptions { Name = "year_id" }),
        new(Builders<Book>.IndexKeys.Ascending(b => b.CreatedAt).Ascending(b => b.Id), new CreateIndexOptions { Name = "created_id" }),
        new(Builders<Book>.IndexKeys.Ascending(b => b.AuthorKeys), new CreateIndexOptions { Name = "authors" }),
        new(Builders<Book>.IndexKeys.Ascending(b => b.Tags), new CreateIndexOptions { Name = "tags" }),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await books.Indexes.CreateManyAsync(Models, stoppingToken);
                await writeWindows.Indexes.CreateOneAsync(WriteWindow.ExpiryIndex, cancellationToken: stoppingToken);
                _ready = true;
                LogIndexesReady(Models.Count + 1);
                return;
            }
            catch (Exception ex) when (ex is MongoException or TimeoutException)
            {
                LogIndexesFailed(ex, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ready
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "The books indexes are not created yet."));

    [LoggerMessage(Level = LogLevel.Information, Message = "Books indexes ensured ({Count}).")]
    private partial void LogIndexesReady(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure the books indexes; retrying in {DelaySeconds} s.")]
    private partial void LogIndexesFailed(Exception exception, double delaySeconds);
}
