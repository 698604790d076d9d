namespace Books.Api.Books;

/// <summary>
/// The element names of a stored <see cref="Book"/>: the document's attributes, the indexes, the filters and sorts,
/// and the merge patch's map from JSON names (<see cref="BookInput"/>) all read them here, so a rename is one edit.
/// </summary>
public static class BookElements
{
    public const string Id = "_id";
    public const string Isbn = "isbn";
    public const string Title = "title";
    public const string TitleKey = "titleKey";
    public const string Authors = "authors";
    public const string AuthorKeys = "authorKeys";
    public const string TitleWords = "titleWords";
    public const string AuthorWords = "authorWords";
    public const string WordsVersion = "wordsVersion";
    public const string PublishedYear = "publishedYear";
    public const string YearKey = "yearKey";
    public const string Publisher = "publisher";
    public const string Language = "language";
    public const string PageCount = "pageCount";
    public const string Tags = "tags";
    public const string Summary = "summary";
    public const string CreatedAt = "createdAt";
    public const string UpdatedAt = "updatedAt";
    public const string Version = "version";
}
