using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Books.Api.Books;

/// <summary>What a client sends to add a book (POST) or replace one (PUT). Server-owned fields are not accepted.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BookRequest
{
    [Required, Description("ISBN-10 or ISBN-13, hyphens and spaces allowed; stored as ISBN-13 digits.")]
    public string? Isbn { get; init; }

    [Required, Description("1 to 300 characters.")]
    public string? Title { get; init; }

    [Required, Description("1 to 20 names, each 1 to 200 characters.")]
    public IReadOnlyList<string?>? Authors { get; init; }

    [Description("From 1450 to next year.")]
    public int? PublishedYear { get; init; }

    [Description("Up to 200 characters.")]
    public string? Publisher { get; init; }

    [Description("A BCP 47 language tag, such as en or pt-BR.")]
    public string? Language { get; init; }

    [Description("From 1 to 100000.")]
    public int? PageCount { get; init; }

    [Description("Up to 20 tags, each 1 to 50 characters; stored lower-case without duplicates.")]
    public IReadOnlyList<string?>? Tags { get; init; }

    [Description("Up to 5000 characters.")]
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
