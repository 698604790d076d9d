namespace Books.Api.Books;

/// <summary>The validated, normalised content of a book: what a write stores.</summary>
public sealed record BookFields(
    string Isbn,
    string Title,
    IReadOnlyList<string> Authors,
    int? PublishedYear,
    string? Publisher,
    string? Language,
    int? PageCount,
    IReadOnlyList<string> Tags,
    string? Summary);

/// <summary>
/// One field of a write: the stored element it sets (<see cref="BookElements"/>) and its new value, or
/// <see langword="null"/> to remove an optional field.
/// </summary>
public sealed record BookFieldChange(string Element, object? Value);
