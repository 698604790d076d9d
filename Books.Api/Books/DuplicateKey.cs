using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// Recognises a unique-index violation in each form the driver reports it: a write error with category
/// DuplicateKey (MongoDB's usual answer to insert/update), a bulk-write error, or a command error with
/// code 11000 (how findAndModify, and some servers, report it).
/// </summary>
public static class DuplicateKey
{
    public const int ErrorCode = 11000;

    public static bool Is(Exception exception) => exception switch
    {
        MongoWriteException write => write.WriteError?.Category == ServerErrorCategory.DuplicateKey,
        MongoBulkWriteException bulk => bulk.WriteErrors.Any(e => e.Category == ServerErrorCategory.DuplicateKey),
        MongoCommandException command => command.Code == ErrorCode,
        _ => false,
    };
}
