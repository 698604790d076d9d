using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Books.Api.Http;

/// <summary>One kind of problem books-api answers with (RFC 9457): its status and its title, which never varies.</summary>
public sealed record ProblemKind(int Status, string Title)
{
    /// <summary>This problem as an endpoint's result, with what was wrong this time.</summary>
    public ProblemHttpResult Result(string? detail) => TypedResults.Problem(statusCode: Status, title: Title, detail: detail);

    /// <summary>This problem for <see cref="IProblemDetailsService"/>, as middleware and exception handlers write it.</summary>
    public ProblemDetails Details(string? detail) => new() { Status = Status, Title = Title, Detail = detail };
}

/// <summary>
/// The catalogue of every problem books-api answers with: the handlers, the exception handlers, the middleware and
/// the OpenAPI document's examples read their status and title here, and a test holds every served problem to it.
/// </summary>
public static class BooksProblems
{
    public static readonly ProblemKind BookNotFound = new(StatusCodes.Status404NotFound, "Book not found");
    public static readonly ProblemKind BookChanged = new(StatusCodes.Status412PreconditionFailed, "The book has changed");
    public static readonly ProblemKind DuplicateIsbn = new(StatusCodes.Status409Conflict, "Duplicate ISBN");
    public static readonly ProblemKind MalformedBody = new(StatusCodes.Status400BadRequest, "Malformed request body");
    public static readonly ProblemKind UnknownHost = new(StatusCodes.Status400BadRequest, "Unknown host");
    public static readonly ProblemKind TooManyWrites = new(StatusCodes.Status429TooManyRequests, "Too many writes");
    public static readonly ProblemKind TooManyReads = new(StatusCodes.Status429TooManyRequests, "Too many reads");
    public static readonly ProblemKind NotReadyForWrites = new(StatusCodes.Status503ServiceUnavailable, "Not ready for writes");
    public static readonly ProblemKind TooManyListings = new(StatusCodes.Status503ServiceUnavailable, "Too many listings at once");
    public static readonly ProblemKind DatabaseUnavailable = new(StatusCodes.Status503ServiceUnavailable, "Database unavailable");
    public static readonly ProblemKind QueryTookTooLong = new(StatusCodes.Status503ServiceUnavailable, "Query took too long");
    public static readonly ProblemKind IdentityProviderUnavailable = new(StatusCodes.Status503ServiceUnavailable, "Identity provider unavailable");

    // The framework's own, for bare status codes and validation (BookProblems.Explain adds their detail).
    public static readonly ProblemKind Invalid = new(StatusCodes.Status400BadRequest, "One or more validation errors occurred.");
    public static readonly ProblemKind BadRequest = new(StatusCodes.Status400BadRequest, "Bad Request");
    public static readonly ProblemKind Unauthorized = new(StatusCodes.Status401Unauthorized, "Unauthorized");
    public static readonly ProblemKind Forbidden = new(StatusCodes.Status403Forbidden, "Forbidden");
    public static readonly ProblemKind NotFound = new(StatusCodes.Status404NotFound, "Not Found");
    public static readonly ProblemKind MethodNotAllowed = new(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed");
    public static readonly ProblemKind ContentTooLarge = new(StatusCodes.Status413PayloadTooLarge, "Content Too Large"); // RFC 9110 15.5.14
    public static readonly ProblemKind UnsupportedMediaType = new(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type");

    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        BookNotFound, BookChanged, DuplicateIsbn, MalformedBody, UnknownHost, TooManyWrites, TooManyReads, NotReadyForWrites,
        TooManyListings, DatabaseUnavailable, QueryTookTooLong, IdentityProviderUnavailable,
        Invalid, BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, ContentTooLarge, UnsupportedMediaType,
    ];
}
