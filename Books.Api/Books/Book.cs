using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace Books.Api.Books;

/// <summary>A book as stored in the <c>books</c> collection. Not the API contract: see <see cref="BookResponse"/>.</summary>
public sealed class Book
{
    [BsonId]
    public ObjectId Id { get; init; }

    [BsonElement("title")]
    public required string Title { get; init; }

    [BsonElement("author")]
    public required string Author { get; init; }

    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; init; }
}
