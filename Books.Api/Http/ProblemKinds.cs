using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Books.Api.Http;

/// <summary>
/// One kind of problem books-api answers with (RFC 9457): its status, its title, which never varies, and the template
/// of its usual detail (a composite format string). <see cref="BooksProblems"/> makes each one; a test holds every
/// served problem to <see cref="ProblemKinds.All"/>.
/// </summary>
public sealed record ProblemKind(int Status, string Title, string? DetailTemplate = null)
{
    /// <summary>This problem, its detail the template filled with this occurrence's values.</summary>
    public ProblemHttpResult With(params object?[] values) => WithDetail(DetailTemplate is null ? null : string.Format(CultureInfo.InvariantCulture, DetailTemplate, values));

    /// <summary>This problem with a detail of its own.</summary>
    public ProblemHttpResult WithDetail(string? detail) => TypedResults.Problem(statusCode: Status, title: Title, detail: detail);
}

/// <summary>The catalogue of every problem books-api answers with: status, title and usual detail.</summary>
public static class ProblemKinds
{
    public static readonly ProblemKind BookNotFound = new(StatusCodes.Status404NotFound, "Book not found", "No book has the id '{0}'.");
    public static readonly ProblemKind BookChanged = new(StatusCodes.Status412PreconditionFailed, "The book has changed",
        "If-Match does not name the current version of book '{0}' (its ETag is now {1}). Read it again, then retry.");
    public static readonly ProblemKind DuplicateIsbn = new(StatusCodes.Status409Conflict, "Duplicate ISBN", "Another book already has the ISBN {0}.");
    public static readonly ProblemKind MalformedBody = new(StatusCodes.Status400BadRequest, "Malformed request body");
    public static readonly ProblemKind UnknownHost = new(StatusCodes.Status400BadRequest, "Unknown host", "The Host header names a host this server does not answer for.");
    public static readonly ProblemKind TooManyWrites = new(StatusCodes.Status429TooManyRequests, "Too many writes",
        "At most {0} writes per {1:0} s per caller; retry after the Retry-After delay.");
    public static readonly ProblemKind TooManyReads = new(StatusCodes.Status429TooManyRequests, "Too many reads",
        "At most {0} reads per {1:0} s from one address; retry after the Retry-After delay.");
    public static readonly ProblemKind NotReadyForWrites = new(StatusCodes.Status503ServiceUnavailable, "Not ready for writes",
        "The book store stores no book until its unique ISBN index exists, so that no ISBN is stored twice; retry shortly.");
    public static readonly ProblemKind BookBusy = new(StatusCodes.Status503ServiceUnavailable, "Book busy",
        "Other writes kept changing book '{0}' while this one was being applied, so nothing was written; retry shortly.");
    public static readonly ProblemKind TooManyListings = new(StatusCodes.Status503ServiceUnavailable, "Too many listings at once",
        "This replica runs at most {0} listings at a time, and none finished within {1:0} ms; retry shortly.");
    public static readonly ProblemKind DatabaseUnavailable = new(StatusCodes.Status503ServiceUnavailable, "Database unavailable",
        "The book store cannot reach its database right now; retry shortly.");
    public static readonly ProblemKind QueryTookTooLong = new(StatusCodes.Status503ServiceUnavailable, "Query took too long",
        "The book store gave up on this query at its time limit; retry shortly, or narrow the query.");
    public static readonly ProblemKind DatabaseOverloaded = new(StatusCodes.Status503ServiceUnavailable, "Database overloaded",
        "The book store's database is shedding load and turned this request away; retry after the Retry-After delay.");
    public static readonly ProblemKind WriteNotConfirmed = new(StatusCodes.Status503ServiceUnavailable, "Write not confirmed",
        "The database applied a write for this request but could not confirm within {0:0} ms that a majority of its replica set has it, "
        + "so it may stand or be rolled back. Read the book before you retry: a retried create may find its ISBN taken by this one.");
    public static readonly ProblemKind IdentityProviderUnavailable = new(StatusCodes.Status503ServiceUnavailable, "Identity provider unavailable",
        "The book store cannot reach the identity provider that vouches for bearer tokens, so it cannot check yours right now; retry shortly.");

    // The framework's own, for bare status codes and validation (BooksProblems.Explain adds their detail).
    public static readonly ProblemKind Invalid = new(StatusCodes.Status400BadRequest, "One or more validation errors occurred.");
    public static readonly ProblemKind BadRequest = new(StatusCodes.Status400BadRequest, "Bad Request");
    public static readonly ProblemKind Unauthorized = new(StatusCodes.Status401Unauthorized, "Unauthorized",
        "Writes need a bearer token (Authorization: Bearer ...) that this API accepts.");
    public static readonly ProblemKind Forbidden = new(StatusCodes.Status403Forbidden, "Forbidden", "The bearer token lacks the {0} scope.");
    public static readonly ProblemKind NotFound = new(StatusCodes.Status404NotFound, "Not Found", "There is nothing at this address.");
    public static readonly ProblemKind MethodNotAllowed = new(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", "{0} is not allowed here.");
    public static readonly ProblemKind ContentTooLarge = new(StatusCodes.Status413PayloadTooLarge, "Content Too Large", "The body is larger than the {0} bytes this API accepts."); // RFC 9110 15.5.14
    public static readonly ProblemKind UnsupportedMediaType = new(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type",
        "Send the body as JSON, with Content-Type: application/json (application/merge-patch+json for PATCH).");

    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        BookNotFound, BookChanged, DuplicateIsbn, MalformedBody, UnknownHost, TooManyWrites, TooManyReads, NotReadyForWrites, BookBusy,
        TooManyListings, DatabaseUnavailable, QueryTookTooLong, DatabaseOverloaded, WriteNotConfirmed, IdentityProviderUnavailable,
        Invalid, BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, ContentTooLarge, UnsupportedMediaType,
    ];
}
