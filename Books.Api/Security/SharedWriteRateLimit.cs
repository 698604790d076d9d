using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Books.Api.Security;

/// <summary>One caller's writes in one window, as counted in MongoDB.</summary>
public sealed record WriteWindow(
    [property: BsonId] string Id,
    [property: BsonElement("count")] int Count,
    [property: BsonElement("expiresAt")] DateTime ExpiresAt)
{
    public const string CollectionName = "write_rate_limits";

    /// <summary>Windows are removed by MongoDB's TTL monitor once they have passed.</summary>
    public static CreateIndexModel<WriteWindow> ExpiryIndex { get; } = new(
        Builders<WriteWindow>.IndexKeys.Ascending(w => w.ExpiresAt),
        new CreateIndexOptions { Name = "expiresAt_ttl", ExpireAfter = TimeSpan.Zero });
}

/// <summary>
/// At most <c>permits</c> writes per caller per fixed window, counted in MongoDB, the store every replica
/// of books-api already shares: one atomic upsert per write (the window's document, keyed by a hash of the
/// caller and the window's start), so a caller spread over any number of replicas gets the same budget.
/// Windows are aligned to the clock, so all replicas agree on them. If MongoDB cannot be reached the
/// upsert fails like any other call to it, and the request ends as a 503.
/// </summary>
public sealed class SharedWriteRateLimit(IMongoCollection<WriteWindow> windows, TimeProvider clock, int permits, TimeSpan window) : IEndpointFilter
{
    private static readonly FindOneAndUpdateOptions<WriteWindow> s_upsert = new() { IsUpsert = true, ReturnDocument = ReturnDocument.After };

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var now = clock.GetUtcNow();
        var start = new DateTimeOffset(now.Ticks - (now.Ticks % window.Ticks), TimeSpan.Zero);
        var end = start + window;
        var counted = await windows.FindOneAndUpdateAsync(
            Builders<WriteWindow>.Filter.Eq(w => w.Id, $"{CallerKey(http)}:{start.ToUnixTimeSeconds()}"),
            Builders<WriteWindow>.Update.Inc(w => w.Count, 1).SetOnInsert(w => w.ExpiresAt, end.UtcDateTime),
            s_upsert,
            http.RequestAborted);
        if (counted.Count <= permits)
        {
            return await next(context);
        }

        var retryAfter = (int)Math.Ceiling((end - now).TotalSeconds); // at least 1: the window ends after now
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many writes",
            detail: $"At most {permits} writes per {window.TotalSeconds:0} s per caller; retry after the Retry-After delay.");
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
