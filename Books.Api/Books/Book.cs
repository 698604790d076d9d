using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Books.Api.Books;

/// <summary>
/// A book as stored in the <c>books</c> collection. Not the API contract (see <see cref="BookResponse"/>):
/// it also holds the lower-cased keys that filters, sorts and cursors use.
/// </summary>
/// <remarks>
/// Stored documents outlive versions of books-api, and during a rolling upgrade two versions share them. So a reader
/// ignores fields it does not know (a newer version's), a field a newer version added reads as its default when an
/// older one wrote the book, and every write sets only the fields it owns (<see cref="BookDocuments"/>), never
/// replacing the document, so an older replica keeps what a newer one stored.
/// </remarks>
[BsonIgnoreExtraElements]
public sealed class Book
{
    [BsonId]
    public ObjectId Id { get; init; }

    [BsonElement("isbn")]
    public required string Isbn { get; init; }

    [BsonElement("title")]
    public required string Title { get; init; }

    [BsonElement("titleKey")]
    public required string TitleKey { get; init; }

    [BsonElement("authors")]
    public required string[] Authors { get; init; }

    [BsonElement("authorKeys")]
    public required string[] AuthorKeys { get; init; }

    /// <summary>The title's search words (<see cref="BookWords"/>); empty on a book stored before they existed, until the backfill.</summary>
    [BsonElement("titleWords")]
    public string[] TitleWords { get; init; } = [];

    /// <summary>The authors' search words (<see cref="BookWords"/>).</summary>
    [BsonElement("authorWords")]
    public string[] AuthorWords { get; init; } = [];

    /// <summary>The <see cref="BookWords.Version"/> both word lists and the title and author keys were made by; 0 on a book stored before 1.1.0.</summary>
    [BsonElement("wordsVersion")]
    public int WordsVersion { get; init; }

    [BsonElement("publishedYear"), BsonIgnoreIfNull]
    public int? PublishedYear { get; init; }

    /// <summary>The year, or 0 when unknown: a sort key that is never null, so keyset cursors stay simple.</summary>
    [BsonElement("yearKey")]
    public int YearKey { get; init; }

    [BsonElement("publisher"), BsonIgnoreIfNull]
    public string? Publisher { get; init; }

    [BsonElement("language"), BsonIgnoreIfNull]
    public string? Language { get; init; }

    [BsonElement("pageCount"), BsonIgnoreIfNull]
    public int? PageCount { get; init; }

    [BsonElement("tags")]
    public required string[] Tags { get; init; }

    [BsonElement("summary"), BsonIgnoreIfNull]
    public string? Summary { get; init; }

    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; init; }

    [BsonElement("updatedAt")]
    public DateTime UpdatedAt { get; init; }

    [BsonElement("version")]
    public long Version { get; init; }
}
