using Books.Settings;
using Books.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Books.Api.Books;

/// <summary>Adds a sentence to the bare status-code problems the framework writes itself.</summary>
public static class BookProblems
{
    public static void Explain(ProblemDetailsContext context)
    {
        context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
        {
            StatusCodes.Status401Unauthorized => "Writes need a bearer token (Authorization: Bearer ...) that this API accepts.",
            StatusCodes.Status403Forbidden => $"The bearer token lacks the {RequiredScope(context.HttpContext)} scope.",
            StatusCodes.Status404NotFound => "There is nothing at this address.",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed here.",
            StatusCodes.Status413PayloadTooLarge => $"The body is larger than the {BooksApi.MaxBodyBytes} bytes this API accepts.",
            StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON, with Content-Type: application/json (application/merge-patch+json for PATCH).",
            _ => null,
        };
    }

    private static string RequiredScope(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => BooksSecurity.ScopeOf(a.Policy)).OfType<string>().FirstOrDefault()
        ?? BooksApiSettings.WriteScope;
}
