using System.Globalization;
using Books.Api.Http;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>Strong ETags derived from a book's version: <c>"3"</c> for version 3, and nothing else names it.</summary>
public static class BookETag
{
    public static string For(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version a tag names: its opaque tag must be exactly what <see cref="For"/> writes, so
    /// <c>"-1"</c>, <c>"03"</c>, <c>"+3"</c> name no version (entity tags are opaque, RFC 9110 8.8.3).</summary>
    public static long? VersionOf(EntityTag tag) =>
        long.TryParse(tag.Opaque.AsSpan(1, tag.Opaque.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
        && For(version) == tag.Opaque
            ? version
            : null;
}
