using Books.Api.Security;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Driver;

namespace Books.Api.Http;

/// <summary>
/// A request that needs a dependency while it cannot be reached (MongoDB for any request, the identity
/// provider for a write) fails with 503 and Retry-After, not 500: the request was fine, the dependency is down.
/// </summary>
internal sealed partial class UnavailableExceptionHandler(
    IProblemDetailsService problemDetails, ILogger<UnavailableExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (title, detail) = exception switch
        {
            _ when IsUnavailable(exception) => ("Database unavailable", "The book store cannot reach its database right now; retry shortly."),
            IdentityProviderUnavailableException => ("Identity provider unavailable",
                "The book store cannot reach the identity provider that vouches for bearer tokens, so it cannot check yours right now; retry shortly."),
            _ => (null, null),
        };
        if (title is null)
        {
            return false;
        }

        LogUnavailable(title, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = title, Detail = detail },
        });
    }

    // Server selection gives up with a TimeoutException; a dropped connection is a MongoConnectionException.
    internal static bool IsUnavailable(Exception exception) =>
        exception is TimeoutException or MongoConnectionException or MongoNotPrimaryException or MongoNodeIsRecoveringException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Title} ({ExceptionType}); answered 503.")]
    private partial void LogUnavailable(string title, string exceptionType);
}
