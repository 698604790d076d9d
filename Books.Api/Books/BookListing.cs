using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>Query string of <c>GET /api/books</c>.</summary>
public sealed record BookListQuery(
    [FromQuery(Name = "author")] [property: Description("Only books with this author: the whole name, accents and case ignored.")] string? Author,
    [FromQuery(Name = "tag")] [property: Description("Only books with this tag (case-insensitive).")] string? Tag,
    [FromQuery(Name = "yearFrom")] [property: Description("Only books published in or after this year.")] int? YearFrom,
    [FromQuery(Name = "yearTo")] [property: Description("Only books published in or before this year.")] int? YearTo,
    [FromQuery(Name = "q")] [property: Description("Words to search for: each must begin a word of the title or of an author (accents and case ignored; words shorter than 2 characters are left out).")] string? Q,
    [FromQuery(Name = "sort")] [property: Description("The order: by title, publishedYear or createdAt, descending with a - prefix; ties go by id.")] string? Sort,
    [FromQuery(Name = "limit")] [property: Description("How many books a page holds.")] int? Limit,
    [FromQuery(Name = "cursor")] [property: Description("The nextCursor of the previous page.")] string? Cursor);

/// <summary>
/// A validated listing request: which books match, in which order, how many per page, and where the
/// page starts. Keyset pagination: a page resumes strictly after the (sort key, id) pair of the last
/// book of the previous one, so walking the pages sees each book once while others come and go.
/// </summary>
public sealed record BookListing(FilterDefinition<Book> Filter, BookSort Sort, int Limit, string QueryHash)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    public const int MaxFilterLength = 200;

    // The names BookListQuery binds, read from its declaration.
    private static readonly IReadOnlySet<string> s_parameters = typeof(BookListQuery).GetConstructors().Single().GetParameters()
        .Select(parameter => parameter.GetCustomAttribute<FromQueryAttribute>()?.Name ?? parameter.Name!)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The listing order, with the id as a tiebreak so that it is total.</summary>
    public SortDefinition<Book> Order => Sort.Descending
        ? Builders<Book>.Sort.Descending(Sort.Field).Descending(BookElements.Id)
        : Builders<Book>.Sort.Ascending(Sort.Field).Ascending(BookElements.Id);

    /// <summary>The cursor of the page that follows <paramref name="last"/>.</summary>
    public string CursorAfter(Book last) => new BookCursor(Sort.Name, Sort.KeyOf(last), last.Id, QueryHash).Encode();

    /// <returns><see langword="null"/>, with every problem found, when the query is not a valid listing.</returns>
    public static BookListing? Parse(BookListQuery query, IQueryCollection parameters, out Dictionary<string, string[]> errors)
    {
        errors = [];
        CheckParameters(parameters, errors);
        CheckFilters(query, errors);
        var limit = query.Limit ?? DefaultPageSize;
        if (limit is < 1 or > MaxPageSize)
        {
            errors["limit"] = [$"'limit' is between 1 and {MaxPageSize} ({limit} given)."];
        }

        var sort = BookSort.Parse(query.Sort);
        if (sort is null)
        {
            errors["sort"] = [$"'sort' is one of {string.Join(", ", BookSort.Names)}."];
        }

        var words = errors.ContainsKey("q") ? null : SearchWords(query.Q, errors);
        var author = NullIfBlank(query.Author) is { } authorName ? BookDocuments.AuthorKey(authorName) : null;
        var tag = NullIfBlank(query.Tag)?.ToLowerInvariant();
        var queryHash = BookCursor.HashQuery(sort?.Name, author, tag, query.YearFrom?.ToString(), query.YearTo?.ToString(),
            words is null ? null : string.Join(' ', words));
        BookCursor? cursor = null;
        if (sort is not null && NullIfBlank(query.Cursor) is { } cursorText
            && (cursor = BookCursor.Decode(cursorText, sort, queryHash, out var cursorProblem)) is null)
        {
            errors["cursor"] = [cursorProblem!];
        }

        return errors.Count > 0 ? null : new BookListing(Match(author, tag, query.YearFrom, query.YearTo, words, sort!, cursor), sort!, limit, queryHash);
    }

    /// <summary>Every parameter is one of the listing's, given once.</summary>
    private static void CheckParameters(IQueryCollection parameters, Dictionary<string, string[]> errors)
    {
        foreach (var (name, values) in parameters)
        {
            if (!s_parameters.Contains(name))
            {
                errors[name] = [$"'{name}' is not a parameter of this listing ({string.Join(", ", s_parameters)})."];
            }
            else if (values.Count > 1)
            {
                errors[name] = [$"'{name}' is given more than once."];
            }
        }
    }

    /// <summary>The text filters are bounded and clean; the year range is not backwards.</summary>
    private static void CheckFilters(BookListQuery query, Dictionary<string, string[]> errors)
    {
        foreach (var (name, value) in new[] { ("author", query.Author), ("tag", query.Tag), ("q", query.Q) })
        {
            if (value is { Length: > MaxFilterLength })
            {
                errors[name] = [$"'{name}' is at most {MaxFilterLength} characters long."];
            }
            else if (value is not null && BookInput.FindUnacceptableCharacter(value, allowLineBreaks: false) is { } problem)
            {
                errors[name] = [$"'{name}' {problem}."];
            }
        }

        if (query.YearFrom > query.YearTo)
        {
            errors["yearFrom"] = ["'yearFrom' is after 'yearTo'."];
        }
    }

    /// <summary>The words of <c>q</c> to search by: at least one, at most <see cref="BookWords.MaxSearchWords"/>.</summary>
    private static string[]? SearchWords(string? q, Dictionary<string, string[]> errors)
    {
        if (NullIfBlank(q) is not { } search)
        {
            return null;
        }

        var words = BookWords.OfSearch(search);
        if (words.Length == 0)
        {
            errors["q"] = [$"'q' needs a word of at least {BookWords.MinPrefixLength} letters or digits; shorter words are not searched."];
        }
        else if (words.Length > BookWords.MaxSearchWords)
        {
            errors["q"] = [$"'q' has at most {BookWords.MaxSearchWords} words ({words.Length} given)."];
        }

        return words;
    }

    /// <summary>The filter of a valid listing: every condition given, and the cursor's position.</summary>
    private static FilterDefinition<Book> Match(string? author, string? tag, int? yearFrom, int? yearTo, string[]? words, BookSort sort, BookCursor? cursor)
    {
        var filter = Builders<Book>.Filter;
        var conditions = new List<FilterDefinition<Book>>();
        if (author is not null)
        {
            conditions.Add(filter.AnyEq(b => b.AuthorKeys, author));
        }

        if (tag is not null)
        {
            conditions.Add(filter.AnyEq(b => b.Tags, tag));
        }

        // The year key, which the indexes hold (0 for an unknown year, which no range includes).
        if (yearFrom is not null || yearTo is not null)
        {
            conditions.Add(filter.Gte(b => b.YearKey, yearFrom ?? BookInput.MinYear));
        }

        if (yearTo is { } to)
        {
            conditions.Add(filter.Lte(b => b.YearKey, to));
        }

        // Each search word is the prefix of a title word or of an author word: anchored, escaped, so each is an
        // index range on titleWords or authorWords, and user text is never run as a pattern.
        foreach (var word in words ?? [])
        {
            var prefix = new BsonRegularExpression("^" + Regex.Escape(word));
            conditions.Add(filter.Or(filter.Regex(b => b.TitleWords, prefix), filter.Regex(b => b.AuthorWords, prefix)));
        }

        if (cursor is not null)
        {
            conditions.Add(After(sort, cursor));
        }

        return conditions.Count > 0 ? filter.And(conditions) : filter.Empty;
    }

    /// <summary>Books strictly after the cursor in the listing order: (key, id) compared as a pair.</summary>
    private static FilterDefinition<Book> After(BookSort sort, BookCursor cursor)
    {
        var filter = Builders<Book>.Filter;
        return sort.Descending
            ? filter.Or(filter.Lt(sort.Field, cursor.Key), filter.And(filter.Eq(sort.Field, cursor.Key), filter.Lt(BookElements.Id, cursor.Id)))
            : filter.Or(filter.Gt(sort.Field, cursor.Key), filter.And(filter.Eq(sort.Field, cursor.Key), filter.Gt(BookElements.Id, cursor.Id)));
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
