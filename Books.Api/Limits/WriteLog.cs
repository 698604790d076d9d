using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;

namespace Books.Api.Limits;

/// <summary>
/// One caller's admitted writes, as kept in MongoDB: a fixed number of slots (the limit), each the time of an
/// admitted write in Unix milliseconds, or 0 when unused.
/// </summary>
public sealed record WriteLog(
    [property: BsonId] string Id,
    [property: BsonElement(WriteLog.LogElement)] long[] Log,
    [property: BsonElement(WriteLog.ExpiresAtElement)] DateTime ExpiresAt)
{
    public const string CollectionName = "write_rate_limits";
    public const string LogElement = "log";
    public const string ExpiresAtElement = "expiresAt";

    /// <summary>A caller's log is removed by MongoDB's TTL monitor once its last write is a window old.</summary>
    public static CreateIndexModel<WriteLog> ExpiryIndex { get; } = new(
        Builders<WriteLog>.IndexKeys.Ascending(w => w.ExpiresAt),
        new CreateIndexOptions { Name = "expiresAt_ttl", ExpireAfter = TimeSpan.Zero });
}
