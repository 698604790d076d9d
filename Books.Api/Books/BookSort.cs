using MongoDB.Bson;

namespace Books.Api.Books;

/// <summary>A listing order: a stored sort key, a direction, and the id as the stable tiebreak.</summary>
public sealed record BookSort(string Name, string Field, bool Descending)
{
    public const string TitleField = BookElements.TitleKey;
    public const string YearField = BookElements.YearKey;
    public const string CreatedField = BookElements.CreatedAt;

    public static readonly BookSort Default = new("title", TitleField, false);

    private static readonly Dictionary<string, BookSort> s_byName = new BookSort[]
    {
        Default,
        new("-title", TitleField, true),
        new("publishedYear", YearField, false),
        new("-publishedYear", YearField, true),
        new("createdAt", CreatedField, false),
        new("-createdAt", CreatedField, true),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public static IEnumerable<string> Names => s_byName.Keys;

    public static BookSort? Parse(string? name) =>
        string.IsNullOrEmpty(name) ? Default : s_byName.GetValueOrDefault(name);

    public BsonValue KeyOf(Book book) => Field switch
    {
        TitleField => book.TitleKey,
        YearField => book.YearKey,
        _ => new BsonDateTime(book.CreatedAt),
    };
}
