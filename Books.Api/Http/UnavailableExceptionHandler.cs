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
        var problem = exception switch
        {
            IdentityProviderUnavailableException => BooksProblems.IdentityProviderUnavailable,
            _ when TookTooLong(exception) => BooksProblems.QueryTookTooLong,
            _ when IsUnavailable(exception) => BooksProblems.DatabaseUnavailable,
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        LogUnavailable(problem.Title, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem.Details(problem.Detail()),
        });
    }

    /// <summary>
    /// Whether <paramref name="exception"/> means "MongoDB cannot be reached right now", so a retry later may
    /// succeed: server selection gave up (TimeoutException), a connection failed or was refused, the pool is
    /// paused after such a failure, the server is not (or no longer) primary or is shutting down, or the driver
    /// labelled the error retryable (the retryable-writes specification's RetryableWriteError, also carried by
    /// write-concern errors) or the error code is one of that specification's retryable codes, or a driver exception
    /// carries a socket or I/O error; whether thrown as it is or wrapped inside another exception.
    /// </summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        TimeoutException or MongoConnectionException or MongoConnectionPoolPausedException
            or MongoNotPrimaryException or MongoNodeIsRecoveringException => true,
        MongoException mongo when mongo.HasErrorLabel(RetryableWriteErrorLabel) => true,
        MongoWriteConcernException writeConcern when WriteConcernErrorCode(writeConcern) is { } code && s_retryableCodes.Contains(code) => true,
        MongoCommandException command when s_retryableCodes.Contains(command.Code) => true,
        MongoException { InnerException: System.Net.Sockets.SocketException or IOException } => true, // the network, under another driver type
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    /// <summary>MongoDB stopped the operation at its time limit (maxTimeMS; error 50, MaxTimeMSExpired).</summary>
    internal static bool TookTooLong(Exception exception) =>
        exception is MongoExecutionTimeoutException || (exception.InnerException is { } inner && TookTooLong(inner));

    private const string RetryableWriteErrorLabel = "RetryableWriteError";

    // The retryable-writes specification's list: HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress,
    // PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
    // InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
    private static readonly HashSet<int> s_retryableCodes = [6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436];

    private static int? WriteConcernErrorCode(MongoWriteConcernException exception) =>
        exception.WriteConcernResult?.Response?.GetValue("writeConcernError", null) is MongoDB.Bson.BsonDocument error
        && error.GetValue("code", null) is { IsInt32: true } code
            ? code.AsInt32
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Title} ({ExceptionType}); answered 503.")]
    private partial void LogUnavailable(string title, string exceptionType);
}
