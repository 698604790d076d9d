using System.Text.Json.Serialization;

namespace Books.Api.Books;

/// <summary>Source-generated JSON metadata for the API's contracts: no reflection per request.</summary>
[JsonSerializable(typeof(BookRequest))]
[JsonSerializable(typeof(BookResponse))]
[JsonSerializable(typeof(BookPage))]
[JsonSerializable(typeof(SeedResult))]
[JsonSerializable(typeof(DeleteAllResult))]
internal sealed partial class BooksJsonContext : JsonSerializerContext;
