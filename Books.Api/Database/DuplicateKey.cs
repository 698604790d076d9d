using MongoDB.Driver;

namespace Books.Api.Database;

/// <summary>
/// Recognises a unique-index violation in each form the driver reports it for the API's single-document
/// writes: a write error with category DuplicateKey (MongoDB's usual answer to insert/update), or a
/// command error with code 11000 (how findAndModify, and some servers, report it). The seeder's bulk
/// write handles its own <see cref="MongoBulkWriteException{TDocument}"/>.
/// </summary>
public static class DuplicateKey
{
    public static bool Is(Exception exception) => exception switch
    {
        MongoWriteException write => write.WriteError?.Category == ServerErrorCategory.DuplicateKey,
        MongoCommandException command => command.Code == MongoErrorCodes.DuplicateKey,
        _ => false,
    };
}
