using Books.Api.Http;
using Books.Settings;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

using Books.Api.Books;

namespace Books.Api.Limits;

/// <summary>
/// Bounds on the work one request can make MongoDB do (OWASP API4:2023, unrestricted resource consumption): every
/// read and findAndModify carries a server-side time limit (maxTimeMS), every write a bound on its wait for
/// replication (wtimeout, <see cref="BoundWrites{T}"/>), and listings, the one query whose cost grows with the
/// catalogue, may hold at most <see cref="MaxConcurrentListings"/> pooled connections at once; the rest wait at most
/// <see cref="ListingQueueTimeout"/>, then get a 503.
/// </summary>
public sealed class BookQueryLimits : IDisposable
{
    private readonly SemaphoreSlim _listings;

    public BookQueryLimits(IOptions<QueryLimitSettings> options)
    {
        var settings = options.Value;
        TimeLimit = TimeSpan.FromMilliseconds(settings.TimeLimitMilliseconds);
        MaxConcurrentListings = settings.MaxConcurrentListings;
        ListingQueueTimeout = TimeSpan.FromMilliseconds(settings.ListingQueueMilliseconds);
        _listings = new SemaphoreSlim(MaxConcurrentListings, MaxConcurrentListings);
        FindOptions = new FindOptions { MaxTime = TimeLimit };
    }

    public TimeSpan TimeLimit { get; }

    public int MaxConcurrentListings { get; }

    public TimeSpan ListingQueueTimeout { get; }

    /// <summary>Options for every find: the server gives up at <see cref="TimeLimit"/> (error 50, answered 503).</summary>
    public FindOptions FindOptions { get; }

    public FindOneAndUpdateOptions<Book> UpdateOptions() =>
        new() { ReturnDocument = ReturnDocument.After, MaxTime = TimeLimit };

    /// <summary>A delete by findAndModify, bounded by <see cref="TimeLimit"/>, returning only the deleted book's id.</summary>
    public FindOneAndDeleteOptions<Book, MongoDB.Bson.BsonDocument> DeleteOptions =>
        new() { MaxTime = TimeLimit, Projection = Builders<Book>.Projection.Include(b => b.Id) };

    /// <summary>
    /// The collection, with every write's wait for its write concern bounded by <see cref="TimeLimit"/> (wtimeout).
    /// Without it, a write under <c>w: "majority"</c> (MongoDB 5.0's default on a replica set) waits with no limit while
    /// no majority is reachable; with it, MongoDB answers error 64 once the time is up, the write applied but not
    /// confirmed (answered 503, see <c>UnavailableExceptionHandler</c>). A write concern that names its own
    /// wtimeout (wtimeoutMS in the connection string) or asks for no acknowledgement is kept as it is.
    /// </summary>
    public IMongoCollection<T> BoundWrites<T>(IMongoCollection<T> collection)
    {
        var writeConcern = collection.Settings.WriteConcern;
        return writeConcern.IsAcknowledged && writeConcern.WTimeout is null
            ? collection.WithWriteConcern(writeConcern.With(wTimeout: TimeLimit))
            : collection;
    }

    /// <summary>Endpoint filter for listings: a slot of <see cref="MaxConcurrentListings"/>, or 503 after the bounded wait.</summary>
    internal static async ValueTask<object?> LimitConcurrentListings(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var limits = context.HttpContext.RequestServices.GetRequiredService<BookQueryLimits>();
        if (!await limits._listings.WaitAsync(limits.ListingQueueTimeout, context.HttpContext.RequestAborted))
        {
            context.HttpContext.Response.Headers.RetryAfter = RetryAfter.Header(RetryAfter.Contention);
            return BooksProblems.TooManyListings(limits.MaxConcurrentListings, limits.ListingQueueTimeout);
        }

        try
        {
            return await next(context);
        }
        finally
        {
            limits._listings.Release();
        }
    }

    public void Dispose() => _listings.Dispose();
}
