using Books.Api.Database;
using Books.Api.Limits;
using System.ComponentModel;
using System.Net.Mime;
using System.Text.Json;
using Books.Api.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>The conditional write every PUT and PATCH ends in, and the answers when it matches nothing.</summary>
public static partial class BooksApi
{
    private static readonly ProjectionDefinition<Book> s_isbnAndVersion = Builders<Book>.Projection.Include(b => b.Isbn).Include(b => b.Version);

    /// <summary>How many times a write that sets the ISBN reads the book again when it changed between read and write.</summary>
    internal const int IsbnWriteAttempts = 3;

    /// <summary>
    /// One findAndModify: applies the update only to a version the preconditions allow, returns the result. A write
    /// that sets the ISBN (PUT, or a PATCH of it) first reads the book's current ISBN and version and names both in
    /// its filter (<see cref="IsbnWriteFilter"/>): sharded on <c>{ isbn: 1 }</c>, as DEPLOYMENT.md plans, MongoDB
    /// changes a shard key only for a write whose filter has the full current shard key, run as a retryable write
    /// (the driver's default). A book changed in between is read again, up to <see cref="IsbnWriteAttempts"/> times.
    /// </summary>
    private static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, BookPreconditions preconditions, UpdateDefinition<Book> update, string? isbn, HttpContext context,
        IMongoCollection<Book> books, BookQueryLimits limits, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(id, out var objectId))
        {
            return BooksProblems.BookNotFound(id);
        }

        var allowed = ById(objectId) & preconditions.VersionFilter();
        Book? updated = null;
        var lostRace = false;
        try
        {
            for (var attempt = 1; attempt <= (isbn is null ? 1 : IsbnWriteAttempts) && updated is null; attempt++)
            {
                var filter = allowed;
                if (isbn is not null)
                {
                    var current = await books.Find(allowed, limits.FindOptions)
                        .Project<BsonDocument>(s_isbnAndVersion)
                        .FirstOrDefaultAsync(cancellationToken);
                    if (current is null)
                    {
                        lostRace = false;
                        break;
                    }

                    filter = IsbnWriteFilter(allowed, current[BookElements.Isbn].AsString, current[BookElements.Version].ToInt64());
                }

                updated = await books.FindOneAndUpdateAsync(filter, update, limits.UpdateOptions(), cancellationToken);
                lostRace = updated is null && isbn is not null; // the book was there at the read: another write came between
            }
        }
        catch (MongoException ex) when (DuplicateKey.Is(ex))
        {
            return BooksProblems.DuplicateIsbn(isbn);
        }

        if (updated is null)
        {
            return await NotFoundOrStaleAsync(id, objectId, preconditions, books, limits, cancellationToken, context, lostRace);
        }

        context.Response.Headers.ETag = BookETag.For(updated.Version);
        return TypedResults.Ok(BookResponse.From(updated));
    }

    /// <summary>The filter of a write that sets the ISBN: what the preconditions allow, at the ISBN and version just read.</summary>
    internal static FilterDefinition<Book> IsbnWriteFilter(FilterDefinition<Book> allowed, string currentIsbn, long currentVersion) =>
        allowed & Builders<Book>.Filter.Eq(b => b.Isbn, currentIsbn) & Builders<Book>.Filter.Eq(b => b.Version, currentVersion);

    /// <summary>
    /// A write whose body cannot be used still answers 404 for a missing book and 412 for a failed precondition
    /// first (RFC 9110 13.2.1: preconditions are evaluated before the content is processed); only then 400.
    /// </summary>
    private static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> RefuseBodyAsync(
        string id, BookPreconditions preconditions, Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult> bodyProblem,
        IMongoCollection<Book> books, BookQueryLimits limits, CancellationToken cancellationToken)
    {
        var current = await FindByIdAsync(id, books, limits, cancellationToken);
        if (current is null)
        {
            return BooksProblems.BookNotFound(id);
        }

        return preconditions.Allow(current.Version) ? bodyProblem : BookChanged(id, current.Version, preconditions);
    }

    /// <summary>
    /// After a write matched nothing (so nothing was written): was the book missing (404), did a precondition fail (412),
    /// or, after <paramref name="lostRace"/>, did other writes keep changing it between the read and the write, its
    /// preconditions still holding (503 with Retry-After: a write that would succeed a moment later is not refused)?
    /// Without preconditions or a race, matching nothing by id alone means the book is missing.
    /// </summary>
    private static async Task<ProblemHttpResult> NotFoundOrStaleAsync(
        string id, ObjectId objectId, BookPreconditions preconditions, IMongoCollection<Book> books, BookQueryLimits limits,
        CancellationToken cancellationToken, HttpContext? context = null, bool lostRace = false)
    {
        var current = preconditions.Any || lostRace ? await books.Find(ById(objectId), limits.FindOptions).FirstOrDefaultAsync(cancellationToken) : null;
        if (current is null)
        {
            return BooksProblems.BookNotFound(id);
        }

        if (!preconditions.Allow(current.Version) || context is null)
        {
            return BookChanged(id, current.Version, preconditions);
        }

        context.Response.Headers.RetryAfter = RetryAfter.Header(RetryAfter.Contention);
        return BooksProblems.BookBusy(id);
    }

    /// <summary>412: If-Match named another version, or If-None-Match named this one.</summary>
    private static ProblemHttpResult BookChanged(string id, long version, BookPreconditions preconditions) =>
        preconditions.IfMatchAllows(version) && preconditions.IfNoneMatchHits(version)
            ? BooksProblems.IfNoneMatchHit(id, BookETag.For(version))
            : BooksProblems.BookChanged(id, BookETag.For(version));

    private static bool IsMergePatch(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(MergePatchMediaType, StringComparison.OrdinalIgnoreCase);
}
