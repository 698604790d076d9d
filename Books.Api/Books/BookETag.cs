using Microsoft.Net.Http.Headers;

namespace Books.Api.Books;

/// <summary>Strong ETags derived from a book's version, and the If-Match / If-None-Match checks on them.</summary>
public static class BookETag
{
    public static string For(long version) => $"\"{version}\"";

    /// <summary>The versions an If-Match header accepts: <see langword="null"/> when there is no header,
    /// empty when none can match, and <c>[-1]</c> for <c>*</c> (any current version).</summary>
    public static long[]? IfMatchVersions(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(HeaderNames.IfMatch, out var values))
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList(values, out var tags))
        {
            return [];
        }

        if (tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any)))
        {
            return [AnyVersion];
        }

        // If-Match compares strongly: a weak tag never matches.
        return [.. tags.Where(tag => !tag.IsWeak).Select(tag => ParseVersion(tag.Tag.Value)).OfType<long>()];
    }

    public const long AnyVersion = -1;

    public static bool IfNoneMatchHits(HttpRequest request, long version)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }

        // If-None-Match compares weakly.
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || ParseVersion(tag.Tag.Value) == version);
    }

    private static long? ParseVersion(string? quoted) =>
        quoted is { Length: > 2 } && long.TryParse(quoted.AsSpan(1, quoted.Length - 2), out var version) ? version : null;
}
