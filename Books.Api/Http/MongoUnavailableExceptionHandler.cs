using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Driver;

namespace Books.Api.Http;

/// <summary>
/// A request that needs MongoDB while it cannot be reached fails with 503 and Retry-After, not 500:
/// the request was fine, the dependency is down.
/// </summary>
internal sealed partial class MongoUnavailableExceptionHandler(
    IProblemDetailsService problemDetails, ILogger<MongoUnavailableExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception))
        {
            return false;
        }

        LogUnavailable(exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Database unavailable",
                Detail = "The book store cannot reach its database right now; retry shortly.",
            },
        });
    }

    // Server selection gives up with a TimeoutException; a dropped connection is a MongoConnectionException.
    internal static bool IsUnavailable(Exception exception) =>
        exception is TimeoutException or MongoConnectionException or MongoNotPrimaryException or MongoNodeIsRecoveringException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "MongoDB is unreachable ({ExceptionType}); answered 503.")]
    private partial void LogUnavailable(string exceptionType);
}
