using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Books.Api.Books;

/// <summary>What a client sends to add a book.</summary>
public sealed record CreateBookRequest(
    [property: Required, StringLength(300), Description("The book's title.")] string? Title,
    [property: Required, StringLength(200), Description("The book's author.")] string? Author);

/// <summary>A book as the API returns it.</summary>
public sealed record BookResponse(
    [property: Description("Server-assigned id (24 hex digits).")] string Id,
    string Title,
    string Author,
    DateTimeOffset CreatedAt)
{
    public static BookResponse From(Book book) =>
        new(book.Id.ToString(), book.Title, book.Author, new DateTimeOffset(book.CreatedAt, TimeSpan.Zero));
}
