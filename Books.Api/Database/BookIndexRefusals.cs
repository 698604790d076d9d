using Books.Api.Limits;
using Books.Api.Books;
using Books.Settings;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Database;

/// <summary>
/// What MongoDB's refusal of an index means for an operator: whether retrying alone can clear it, the remedy in
/// words, the count of ISBNs stored more than once (11000), and an equivalent unique ISBN index to adopt (85).
/// </summary>
public sealed partial class BookIndexRefusals(IMongoCollection<Book> books, BookQueryLimits limits, ILogger<BookIndexRefusals> logger)
{
    /// <summary>How many of the ISBNs stored on more than one book the log names.</summary>
    internal const int DuplicatesNamed = 20;

    /// <summary>
    /// Whether retrying alone cannot clear <paramref name="ex"/>: stored duplicates (11000), an index in the way (85, 86),
    /// a build MongoDB cannot make (67), a missing privilege (13), or the commit quorum refused: BadValue (2) when one
    /// was sent ("Standalones can't specify commitQuorum", src/mongo/db/commands/create_indexes_cmd.cpp,
    /// parseAndGetCommitQuorum) or UnsatisfiableCommitQuorum (278, a tag or number the replica set cannot meet).
    /// </summary>
    public static bool WaitsForOperator(MongoCommandException ex, CreateIndexCommitQuorum? quorum) => ex.Code switch
    {
        MongoErrorCodes.DuplicateKey or MongoErrorCodes.CannotCreateIndex or MongoErrorCodes.IndexOptionsConflict
            or MongoErrorCodes.IndexKeySpecsConflict or MongoErrorCodes.Unauthorized or MongoErrorCodes.UnsatisfiableCommitQuorum => true,
        MongoErrorCodes.BadValue => quorum is not null,
        _ => false,
    };

    /// <summary>What an operator does about each error retrying alone cannot clear; each names the server's own message.</summary>
    public static string Remedy(string name, MongoCommandException ex, string? commitQuorum) => ex.Code switch
    {
        MongoErrorCodes.CannotCreateIndex =>
            $"MongoDB cannot build {name} (error 67: {ex.ErrorMessage}). Its message says why; when the collection is sharded, a unique index "
            + "must have the shard key as its prefix: shard the books collection on { isbn: 1 } (DEPLOYMENT.md, Sharding).",
        MongoErrorCodes.IndexOptionsConflict or MongoErrorCodes.IndexKeySpecsConflict =>
            $"An existing index is in the way of {name} (error {ex.Code}: {ex.ErrorMessage}). Drop or rename it; books-api tries again on its own.",
        MongoErrorCodes.Unauthorized =>
            $"The database user may not create {name} (error 13: {ex.ErrorMessage}). Grant it createIndex on the books database (the readWrite role has it).",
        MongoErrorCodes.BadValue or MongoErrorCodes.UnsatisfiableCommitQuorum =>
            $"MongoDB refused the commit quorum '{IndexSettings.CommitQuorumKey}' = {commitQuorum} for {name} (error {ex.Code}: {ex.ErrorMessage}). "
            + "Leave it unset on a standalone server; on a replica set, name majority, votingMembers, a number of members it has, or a tag its configuration defines.",
        _ => $"MongoDB refused {name} (error {ex.Code}: {ex.ErrorMessage}).",
    };

    /// <summary>
    /// An index on exactly <c>{ isbn: 1 }</c>, unique, under another name (isbn_1, made by hand or by sharding): it does
    /// the same job. With <paramref name="includeOwn"/>, the unique ISBN index itself counts, and a failure to list the
    /// indexes answers "present" (nothing is known to be missing).
    /// </summary>
    public async Task<string?> EquivalentIsbnIndexAsync(CancellationToken cancellationToken, bool includeOwn = false)
    {
        List<BsonDocument> indexes;
        try
        {
            using var cursor = await books.Indexes.ListAsync(cancellationToken);
            indexes = await cursor.ToListAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            return includeOwn ? BookIndexModels.IsbnIndexName : null; // adoption: described as the conflict it is, and tried again
        }

        return indexes.FirstOrDefault(index =>
                index["key"] is BsonDocument { ElementCount: 1 } key && key.GetElement(0) is { Name: BookElements.Isbn, Value: { IsNumeric: true } order } && order.ToDouble() == 1
                && index.GetValue("unique", false).ToBoolean()
                && !index.Contains("partialFilterExpression")
                && !index.Contains("collation")
                && (includeOwn || index["name"] != BookIndexModels.IsbnIndexName))
            ?["name"].AsString;
    }

    /// <summary>
    /// Counts the ISBNs stored on more than one book (a bounded aggregation): what a write's 503 says, and the first
    /// <see cref="DuplicatesNamed"/> of them by ISBN for the log, so that an operator can find the books.
    /// </summary>
    public async Task<(string Reason, string? Named)> DescribeDuplicatesAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        var named = new List<string>();
        try
        {
            PipelineDefinition<Book, BsonDocument> pipeline = new BsonDocument[]
            {
                new("$group", new BsonDocument { [BookElements.Id] = "$" + BookElements.Isbn, ["books"] = new BsonDocument("$sum", 1) }),
                new("$match", new BsonDocument("books", new BsonDocument("$gt", 1))),
                new("$sort", new BsonDocument(BookElements.Id, 1)),
            };
            using var cursor = await books.AggregateAsync(pipeline, new AggregateOptions { MaxTime = limits.TimeLimit, AllowDiskUse = true }, cancellationToken);
            await cursor.ForEachAsync(duplicate =>
            {
                if (count++ < DuplicatesNamed)
                {
                    named.Add($"{duplicate[BookElements.Id]} ({duplicate["books"]} books)");
                }
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is MongoException or TimeoutException)
        {
            // The reason goes to callers and /health, so the driver's message (which can name servers) stays in the log.
            LogDuplicatesNotCounted(ex);
            return ($"Some ISBNs are stored on more than one book (MongoDB refused the unique index with error {MongoErrorCodes.DuplicateKey}), and they could "
                + "not be counted. Find them with an aggregation that groups the books by isbn.", null);
        }

        return ($"{count} ISBN{(count == 1 ? " is" : "s are")} stored on more than one book, so MongoDB cannot build the unique ISBN index. "
            + $"books-api's log names {(count > DuplicatesNamed ? $"the first {DuplicatesNamed}" : "them")} (\"ISBNs stored on more than one book\"); "
            + "remove or correct the extra books, and writes resume within the retry delay.", string.Join(", ", named));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the ISBNs stored on more than one book.")]
    private partial void LogDuplicatesNotCounted(Exception exception);
}
