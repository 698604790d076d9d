using Books.Api.Security;
using Books.Api.Database;
using Books.Api.Http;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Books.Api.Books;
using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Books.Api.Limits;

/// <summary>
/// At most <c>permits</c> writes per caller in any span of one window's length, closed at both ends (a sliding log:
/// fixed windows would let a caller make twice the limit across a window's edge), counted in MongoDB, the store
/// every replica of books-api already shares, so a caller spread over any number of replicas gets one budget.
/// <para>
/// The caller's document (keyed by a hash of the caller and the limit) has <c>permits</c> slots. A write is
/// admitted by one atomic findAndModify that matches only if some slot is older than one window (or unused) and
/// writes the time into that slot (the positional <c>$</c> operator). Only writes older than a window are ever
/// overwritten, so the slots always hold every admitted write of the last window: a slot is free exactly when
/// fewer than <c>permits</c> were admitted in it. A caller's first write inserts the document; an insert that
/// collides with it (duplicate key) means the log was full. Only a refusal reads the log again, for Retry-After.
/// If MongoDB cannot be reached the call fails like any other, and the request ends as a 503. Each call is bounded
/// like the book store's own (maxTimeMS on the findAndModify and the find; the collection's wtimeout on the insert).
/// </para>
/// </summary>
public sealed class SharedWriteRateLimit(IMongoCollection<WriteLog> logs, TimeProvider clock, int permits, TimeSpan window, TimeSpan timeLimit)
    : IEndpointFilter
{
    private readonly FindOptions _findOptions = new() { MaxTime = timeLimit };
    private readonly FindOneAndUpdateOptions<WriteLog> _takeOptions = new() { MaxTime = timeLimit };

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = $"{CallerKey(http)}:{permits}/{(long)window.TotalMilliseconds}";
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)window.TotalMilliseconds;
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(nowMs + windowMs).UtcDateTime;

        // A slot older than the window; else no log yet (the caller's first write inserts it); else a log that
        // another first write inserted a moment ago, whose slots are tried once more; else it is full.
        if (await TakeSlotAsync(caller, nowMs, windowMs, expiresAt, http.RequestAborted) is null
            && !await InsertLogAsync(caller, nowMs, expiresAt, http.RequestAborted)
            && await TakeSlotAsync(caller, nowMs, windowMs, expiresAt, http.RequestAborted) is null)
        {
            return await RefuseAsync(http, caller, nowMs, windowMs);
        }

        return await next(context);
    }

    /// <summary>A caller's first write: its log, with this write in the first slot; false when the log exists.</summary>
    private async Task<bool> InsertLogAsync(string caller, long nowMs, DateTime expiresAt, CancellationToken cancellationToken)
    {
        var log = new long[permits];
        log[0] = nowMs;
        try
        {
            await logs.InsertOneAsync(new WriteLog(caller, log, expiresAt), cancellationToken: cancellationToken);
            return true;
        }
        catch (MongoException ex) when (DuplicateKey.Is(ex))
        {
            return false;
        }
    }

    /// <summary>Writes now into a slot whose write is more than a window old (or unused); null when every slot is within the window.</summary>
    private Task<WriteLog?> TakeSlotAsync(string caller, long nowMs, long windowMs, DateTime expiresAt, CancellationToken cancellationToken)
    {
        var filter = Builders<WriteLog>.Filter;
        return logs.FindOneAndUpdateAsync(
            filter.Eq(w => w.Id, caller) & filter.Lt(WriteLog.LogElement, nowMs - windowMs),
            Builders<WriteLog>.Update.Set(WriteLog.LogElement + ".$", nowMs).Set(w => w.ExpiresAt, expiresAt),
            _takeOptions,
            cancellationToken)!;
    }

    private async Task<object?> RefuseAsync(HttpContext http, string caller, long nowMs, long windowMs)
    {
        // The oldest logged write leaves the last window (closed at both ends) one millisecond after it is a window old.
        var log = await logs.Find(Builders<WriteLog>.Filter.Eq(w => w.Id, caller), _findOptions).FirstOrDefaultAsync(http.RequestAborted);
        var leavesMs = (log?.Log.Min() ?? nowMs) + windowMs + 1;
        var retryAfter = Math.Max(1, (int)Math.Ceiling((leavesMs - nowMs) / 1000.0));
        http.Response.Headers.RetryAfter = RetryAfter.Header(retryAfter);
        return BooksProblems.TooManyWrites(permits, window);
    }

    /// <summary>Who is writing: the token's subject, else the client address; hashed, so the store holds no identities.</summary>
    internal static string CallerKey(HttpContext http)
    {
        var caller = BooksSecurity.CallerOf(http.User) is { } subject
            ? $"sub:{subject}"
            : $"ip:{http.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(caller)))[..32];
    }
}
