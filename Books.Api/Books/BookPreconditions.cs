using Books.Api.Http;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>
/// The If-Match and If-None-Match conditions of a request on one book (RFC 9110 13.1.1, 13.1.2), evaluated in
/// the order of 13.2.2: If-Match first, then If-None-Match. A write turns them into its filter, so the check
/// and the write are one atomic findAndModify.
/// </summary>
public sealed class BookPreconditions
{
    private BookPreconditions(EntityTagCondition? ifMatch, EntityTagCondition? ifNoneMatch)
    {
        IfMatch = ifMatch;
        IfNoneMatch = ifNoneMatch;
    }

    public EntityTagCondition? IfMatch { get; }

    public EntityTagCondition? IfNoneMatch { get; }

    public bool Any => IfMatch is not null || IfNoneMatch is not null;

    public static BookPreconditions Read(HttpRequest request) =>
        new(EntityTagCondition.Read(request.Headers.IfMatch), EntityTagCondition.Read(request.Headers.IfNoneMatch));

    /// <summary>Whether a request may act on the book at <paramref name="version"/>: If-Match true (13.1.1:
    /// strong comparison, an invalid value is false) and If-None-Match true (13.1.2: weak comparison, an
    /// invalid value is true).</summary>
    public bool Allow(long version) => IfMatchAllows(version) && !IfNoneMatchHits(version);

    public bool IfMatchAllows(long version) => IfMatch?.MatchesStrongly(BookETag.For(version)) ?? true;

    public bool IfNoneMatchHits(long version) => IfNoneMatch?.MatchesWeakly(BookETag.For(version)) ?? false;

    /// <summary>The versions for which <see cref="Allow"/> is true, as a filter on <c>version</c>
    /// (empty: no condition).</summary>
    public FilterDefinition<Book> VersionFilter()
    {
        var filter = Builders<Book>.Filter;
        var clauses = new List<FilterDefinition<Book>>();
        if (IfMatch is { IsAny: false } ifMatch)
        {
            clauses.Add(filter.In(BookElements.Version, ifMatch.Tags.Where(tag => !tag.IsWeak).Select(BookETag.VersionOf).OfType<long>()));
        }

        if (IfNoneMatch is { IsAny: true })
        {
            clauses.Add(filter.In(BookElements.Version, Array.Empty<long>())); // every current book matches *: none may be written
        }
        else if (IfNoneMatch is { IsValid: true } ifNoneMatch)
        {
            clauses.Add(filter.Nin(BookElements.Version, ifNoneMatch.Tags.Select(BookETag.VersionOf).OfType<long>()));
        }

        return clauses.Count == 0 ? filter.Empty : filter.And(clauses);
    }
}
