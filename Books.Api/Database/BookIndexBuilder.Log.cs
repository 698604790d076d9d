namespace Books.Api.Database;

/// <summary>What the index builder logs: each change of an index's state, once.</summary>
public sealed partial class BookIndexBuilder
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Books indexes ensured ({Count}).")]
    private partial void LogIndexesReady(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ensure {Index}; retrying with a backoff until MongoDB answers.")]
    private partial void LogIndexFailed(Exception exception, string index);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Index} cannot be created (MongoDB error {Code}) until an operator acts: {Remedy}")]
    private partial void LogWaitsForOperator(Exception exception, string index, int code, string remedy);

    [LoggerMessage(Level = LogLevel.Error, Message = "ISBNs stored on more than one book, the first {Named} by ISBN: {Isbns}.")]
    private partial void LogDuplicates(int named, string isbns);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Index} has gone from the books collection; writes that store a book wait until it is built again.")]
    private partial void LogIsbnIndexMissing(string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Index} exists now.")]
    private partial void LogIndexRecovered(string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "The existing index {Existing} has the key and options of {Index}, and serves as it.")]
    private partial void LogAdopted(string existing, string index);
}
