using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Books.Api.Books;

/// <summary>
/// What a client sends to add a book (POST) or replace one (PUT). Server-owned fields are not accepted.
/// Each field's rules are published as schema keywords from <see cref="BookInput"/>'s constants (see BooksOpenApi).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BookRequest
{
    [Required]
    public string? Isbn { get; init; }

    [Required]
    public string? Title { get; init; }

    [Required]
    public IReadOnlyList<string?>? Authors { get; init; }

    public int? PublishedYear { get; init; }

    public string? Publisher { get; init; }

    public string? Language { get; init; }

    public int? PageCount { get; init; }

    public IReadOnlyList<string?>? Tags { get; init; }

    public string? Summary { get; init; }
}

/// <summary>
/// What a client sends to change some fields of a book (PATCH, an RFC 7396 merge patch): the fields to
/// set, and optional fields as null to remove them. Described in the OpenAPI document; the handler reads
/// the JSON itself, so that a field given as null differs from one left out.
/// </summary>
public sealed record BookPatchRequest
{
    public string? Isbn { get; init; }

    public string? Title { get; init; }

    public IReadOnlyList<string?>? Authors { get; init; }

    public int? PublishedYear { get; init; }

    public string? Publisher { get; init; }

    public string? Language { get; init; }

    public int? PageCount { get; init; }

    public IReadOnlyList<string?>? Tags { get; init; }

    public string? Summary { get; init; }
}

/// <summary>A book as the API returns it.</summary>
public sealed record BookResponse(
    [property: Description("Server-assigned id (24 hex digits).")] string Id,
    [property: Description("ISBN-13 digits.")] string Isbn,
    string Title,
    IReadOnlyList<string> Authors,
    int? PublishedYear,
    string? Publisher,
    string? Language,
    int? PageCount,
    IReadOnlyList<string> Tags,
    string? Summary,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: Description("Bumped by every change; the ETag is derived from it.")] long Version)
{
    public static BookResponse From(Book book) => new(
        book.Id.ToString(),
        book.Isbn,
        book.Title,
        book.Authors,
        book.PublishedYear,
        book.Publisher,
        book.Language,
        book.PageCount,
        book.Tags,
        book.Summary,
        new DateTimeOffset(book.CreatedAt, TimeSpan.Zero),
        new DateTimeOffset(book.UpdatedAt, TimeSpan.Zero),
        book.Version);
}

/// <summary>One page of a book listing.</summary>
public sealed record BookPage(
    IReadOnlyList<BookResponse> Items,
    [property: Description("Pass as `cursor` to get the next page; null on the last page.")] string? NextCursor);
