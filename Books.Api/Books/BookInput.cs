using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Books.Api.Books;

/// <summary>
/// The rules for a book's fields, applied the same way to a full body (POST, PUT) and to each field
/// of a merge patch. Text is trimmed, and empty after trimming counts as missing. Errors are keyed by
/// the JSON field name, as in a ValidationProblem.
/// </summary>
public static partial class BookInput
{
    public const int MaxTitleLength = 300;
    public const int MaxAuthors = 20;
    public const int MaxAuthorLength = 200;
    public const int MinYear = 1450;
    public const int MaxPublisherLength = 200;
    public const int MaxPageCount = 100_000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 50;
    public const int MaxSummaryLength = 5_000;
    public const int MaxLanguageLength = 35;

    /// <summary>language[-script][-region][-variant...], the common subset of RFC 5646 (BCP 47).</summary>
    public const string LanguageTagPattern = "^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$";

    /// <summary>
    /// The stored element each field of the contract (its JSON name) sets. The two sets of names are the same words
    /// today; this map is what says so, and a test holds it to <see cref="Book"/>'s own element names.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ElementOf { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["isbn"] = BookElements.Isbn, ["title"] = BookElements.Title, ["authors"] = BookElements.Authors,
        ["publishedYear"] = BookElements.PublishedYear, ["publisher"] = BookElements.Publisher, ["language"] = BookElements.Language,
        ["pageCount"] = BookElements.PageCount, ["tags"] = BookElements.Tags, ["summary"] = BookElements.Summary,
    };

    /// <summary>Fields only the server sets; a request naming one is rejected.</summary>
    public static readonly IReadOnlySet<string> ServerOwnedFields =
        new HashSet<string>(["id", "_id", "createdAt", "updatedAt", "version"], StringComparer.OrdinalIgnoreCase);

    // The fields BookRequest marks [Required] (which the OpenAPI document publishes), by their JSON names.
    private static readonly IReadOnlySet<string> s_requiredFields = typeof(BookRequest).GetProperties()
        .Where(property => property.IsDefined(typeof(RequiredAttribute), inherit: true))
        .Select(property => JsonNamingPolicy.CamelCase.ConvertName(property.Name))
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static BookFields? Validate(BookRequest request, int currentYear, out Dictionary<string, string[]> errors)
    {
        var collector = new Errors();
        var isbn = ParseIsbn(collector, request.Isbn);
        var title = RequiredText(collector, "title", request.Title, MaxTitleLength);
        var authors = Authors(collector, request.Authors);
        var year = Year(collector, request.PublishedYear, currentYear);
        var publisher = OptionalText(collector, "publisher", request.Publisher, MaxPublisherLength);
        var language = Language(collector, request.Language);
        var pageCount = PageCount(collector, request.PageCount);
        var tags = Tags(collector, request.Tags);
        var summary = OptionalText(collector, "summary", request.Summary, MaxSummaryLength, allowLineBreaks: true);

        errors = collector.ToDictionary();
        return errors.Count > 0
            ? null
            : new BookFields(isbn!, title!, authors!, year, publisher, language, pageCount, tags, summary);
    }

    private static string? ParseIsbn(Errors errors, string? value)
    {
        if (Isbn.TryParse(value, out var isbn13) is { } problem)
        {
            errors.Add("isbn", problem);
            return null;
        }

        return isbn13;
    }

    private static List<string>? Authors(Errors errors, IReadOnlyList<string?>? authors)
    {
        if (authors is null || authors.Count == 0)
        {
            errors.Add("authors", "At least one author is required.");
            return null;
        }

        if (authors.Count > MaxAuthors)
        {
            errors.Add("authors", $"At most {MaxAuthors} authors ({authors.Count} given).");
            return null;
        }

        var result = new List<string>(authors.Count);
        for (var i = 0; i < authors.Count; i++)
        {
            if (RequiredText(errors, $"authors[{i}]", authors[i], MaxAuthorLength) is { } name)
            {
                result.Add(name);
            }
        }

        return result.Count == authors.Count ? result : null;
    }

    private static List<string> Tags(Errors errors, IReadOnlyList<string?>? tags)
    {
        if (tags is null)
        {
            return [];
        }

        if (tags.Count > MaxTags)
        {
            errors.Add("tags", $"At most {MaxTags} tags ({tags.Count} given).");
            return [];
        }

        var result = new List<string>(tags.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            if (RequiredText(errors, $"tags[{i}]", tags[i], MaxTagLength) is { } tag
                && tag.ToLowerInvariant() is var lower && !result.Contains(lower))
            {
                result.Add(lower);
            }
        }

        return result;
    }

    private static int? Year(Errors errors, int? year, int currentYear)
    {
        if (year is { } value && (value < MinYear || value > currentYear + 1))
        {
            errors.Add("publishedYear", $"'publishedYear' is between {MinYear} and {currentYear + 1} ({value} given).");
            return null;
        }

        return year;
    }

    private static int? PageCount(Errors errors, int? pageCount)
    {
        if (pageCount is { } value && (value < 1 || value > MaxPageCount))
        {
            errors.Add("pageCount", $"'pageCount' is between 1 and {MaxPageCount} ({value} given).");
            return null;
        }

        return pageCount;
    }

    private static string? Language(Errors errors, string? language)
    {
        var text = Normalise(errors, "language", language, MaxLanguageLength, allowLineBreaks: false);
        if (text is null)
        {
            return null;
        }

        if (!LanguageTag().IsMatch(text))
        {
            errors.Add("language", $"'{text}' is not a BCP 47 language tag (for example en, en-GB, pt-BR, zh-Hant-TW).");
            return null;
        }

        // Conventional casing: language lower, script title, region upper.
        var parts = text.Split('-');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = i == 0 ? parts[i].ToLowerInvariant()
                : parts[i].Length == 4 && char.IsAsciiLetter(parts[i][0]) ? char.ToUpperInvariant(parts[i][0]) + parts[i][1..].ToLowerInvariant()
                : parts[i].Length == 2 ? parts[i].ToUpperInvariant()
                : parts[i].ToLowerInvariant();
        }

        return string.Join('-', parts);
    }

    [GeneratedRegex(LanguageTagPattern)]
    private static partial Regex LanguageTag();

}
