using Books.Api.Limits;
using Books.Api.Security;
using Books.Settings;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Books.Api.Http;

/// <summary>
/// Every problem books-api answers with, made with what was wrong this time: one call per problem at each call site,
/// its values checked by the compiler, its status, title and template from <see cref="ProblemKinds"/>. Middleware and
/// exception handlers write a result's <see cref="ProblemHttpResult.ProblemDetails"/>.
/// </summary>
public static class BooksProblems
{
    public static ProblemHttpResult BookNotFound(string id) => ProblemKinds.BookNotFound.With(id);

    public static ProblemHttpResult NoBookWithIsbn(string isbn13) => ProblemKinds.BookNotFound.WithDetail($"No book has the ISBN {isbn13}.");

    public static ProblemHttpResult BookChanged(string id, string etag) => ProblemKinds.BookChanged.With(id, etag);

    public static ProblemHttpResult IfNoneMatchHit(string id, string etag) =>
        ProblemKinds.BookChanged.WithDetail($"If-None-Match matches the current version of book '{id}' (its ETag is {etag}), so nothing was done.");

    public static ProblemHttpResult DuplicateIsbn(string? isbn) =>
        isbn is null ? ProblemKinds.DuplicateIsbn.WithDetail("Another book already has this ISBN.") : ProblemKinds.DuplicateIsbn.With(isbn);

    public static ProblemHttpResult MalformedBody(string detail) => ProblemKinds.MalformedBody.WithDetail(detail);

    public static ProblemHttpResult UnsupportedMediaType(string detail) => ProblemKinds.UnsupportedMediaType.WithDetail(detail);

    public static ProblemHttpResult UnknownHost() => ProblemKinds.UnknownHost.With();

    public static ProblemHttpResult TooManyWrites(int permits, TimeSpan window) => ProblemKinds.TooManyWrites.With(permits, window.TotalSeconds);

    public static ProblemHttpResult TooManyReads(int reads, TimeSpan window) => ProblemKinds.TooManyReads.With(reads, window.TotalSeconds);

    public static ProblemHttpResult NotReadyForWrites(string? reason) =>
        ProblemKinds.NotReadyForWrites.WithDetail(ProblemKinds.NotReadyForWrites.DetailTemplate + (reason is null ? "" : " " + reason));

    public static ProblemHttpResult BookBusy(string id) => ProblemKinds.BookBusy.With(id);

    public static ProblemHttpResult TooManyListings(int slots, TimeSpan wait) => ProblemKinds.TooManyListings.With(slots, wait.TotalMilliseconds);

    public static ProblemHttpResult DatabaseUnavailable() => ProblemKinds.DatabaseUnavailable.With();

    public static ProblemHttpResult QueryTookTooLong() => ProblemKinds.QueryTookTooLong.With();

    public static ProblemHttpResult DatabaseOverloaded() => ProblemKinds.DatabaseOverloaded.With();

    public static ProblemHttpResult WriteNotConfirmed(TimeSpan wait) => ProblemKinds.WriteNotConfirmed.With(wait.TotalMilliseconds);

    public static ProblemHttpResult IdentityProviderUnavailable() => ProblemKinds.IdentityProviderUnavailable.With();

    public static ProblemHttpResult Unauthorized() => ProblemKinds.Unauthorized.With();

    public static ProblemHttpResult Forbidden(string scope) => ProblemKinds.Forbidden.With(scope);

    public static ProblemHttpResult NotFound() => ProblemKinds.NotFound.With();

    public static ProblemHttpResult MethodNotAllowed(string method) => ProblemKinds.MethodNotAllowed.With(method);

    public static ProblemHttpResult ContentTooLarge() => ProblemKinds.ContentTooLarge.With(BooksLimits.MaxBodyBytes);

    public static ProblemHttpResult UnsupportedMediaType() => ProblemKinds.UnsupportedMediaType.With();

    /// <summary>Adds the usual detail to the bare status-code problems the framework writes itself.</summary>
    public static void Explain(ProblemDetailsContext context)
    {
        context.ProblemDetails.Detail ??= (context.ProblemDetails.Status switch
        {
            StatusCodes.Status401Unauthorized => Unauthorized(),
            StatusCodes.Status403Forbidden => Forbidden(RequiredScope(context.HttpContext)),
            StatusCodes.Status404NotFound => NotFound(),
            StatusCodes.Status405MethodNotAllowed => MethodNotAllowed(context.HttpContext.Request.Method),
            StatusCodes.Status413PayloadTooLarge => ContentTooLarge(),
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType(),
            _ => null,
        })?.ProblemDetails.Detail;
    }

    private static string RequiredScope(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => BooksSecurity.ScopeOf(a.Policy)).OfType<string>().FirstOrDefault()
        ?? BooksApiSettings.WriteScope;
}
