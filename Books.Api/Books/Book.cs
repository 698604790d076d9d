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

    [BsonElement(BookElements.Isbn)]
    public required string Isbn { get; init; }

    [BsonElement(BookElements.Title)]
    public required string Title { get; init; }

    [BsonElement(BookElements.TitleKey)]
    public required string TitleKey { get; init; }

    [BsonElement(BookElements.Authors)]
    public required string[] Authors { get; init; }

    [BsonElement(BookElements.AuthorKeys)]
    public required string[] AuthorKeys { get; init; }

    /// <summary>The title's search words (<see cref="BookWords"/>); empty on a book stored before they existed, until the backfill.</summary>
    [BsonElement(BookElements.TitleWords)]
    public string[] TitleWords { get; init; } = [];

    /// <summary>The authors' search words (<see cref="BookWords"/>).</summary>
    [BsonElement(BookElements.AuthorWords)]
    public string[] AuthorWords { get; init; } = [];

    /// <summary>The <see cref="BookWords.Version"/> both word lists and the title and author keys were made by; 0 on a book stored before 1.1.0.</summary>
    [BsonElement(BookElements.WordsVersion)]
    public int WordsVersion { get; init; }

    [BsonElement(BookElements.PublishedYear), BsonIgnoreIfNull]
    public int? PublishedYear { get; init; }

    /// <summary>The year, or 0 when unknown: a sort key that is never null, so keyset cursors stay simple.</summary>
    [BsonElement(BookElements.YearKey)]
    public int YearKey { get; init; }

    [BsonElement(BookElements.Publisher), BsonIgnoreIfNull]
    public string? Publisher { get; init; }

    [BsonElement(BookElements.Language), BsonIgnoreIfNull]
    public string? Language { get; init; }

    [BsonElement(BookElements.PageCount), BsonIgnoreIfNull]
    public int? PageCount { get; init; }

    [BsonElement(BookElements.Tags)]
    public required string[] Tags { get; init; }

    [BsonElement(BookElements.Summary), BsonIgnoreIfNull]
    public string? Summary { get; init; }

    [BsonElement(BookElements.CreatedAt)]
    public DateTime CreatedAt { get; init; }

    [BsonElement(BookElements.UpdatedAt)]
    public DateTime UpdatedAt { get; init; }

    [BsonElement(BookElements.Version)]
    public long Version { get; init; }
}
