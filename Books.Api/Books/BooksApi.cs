using Books.Api.Limits;
using System.ComponentModel;
using System.Net.Mime;
using System.Text.Json;
using Books.Api.Http;
using Books.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

public static partial class BooksApi
{
    public const string MergePatchMediaType = "application/merge-patch+json";

    /// <summary>
    /// The books resource: reads (anonymous, limited per address) and writes (a caller with the write scope, within
    /// its write budget; those that store a book wait for the unique ISBN index), each convention declared once on its
    /// group.
    /// </summary>
    public static RouteGroupBuilder MapBooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/books")
            .WithTags("Books")
            .WithBodyLimit()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        MapReads(api.MapGroup("").WithReadLimit());
        MapWrites(api.MapGroup("").RequireWriter().WithWriteLimit());
        return api;
    }

    private static void MapReads(RouteGroupBuilder reads)
    {
        reads.MapGet("/", ListBooks)
            .WithName(nameof(ListBooks))
            .AddEndpointFilter(BookQueryLimits.LimitConcurrentListings)
            .WithSummary("List books")
            .WithDescription("Filters, sorts and pages through books with an opaque keyset cursor.")
            .ProducesValidationProblem();

        reads.MapGet("/{id}", GetBook)
            .WithName(nameof(GetBook))
            .WithSummary("Get a book by id")
            .WithDescription("Answers 304 when If-None-Match names the current ETag, 412 when If-Match does not.")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        reads.MapGet("/by-isbn/{isbn}", GetBookByIsbn)
            .WithName(nameof(GetBookByIsbn))
            .WithSummary("Get a book by ISBN")
            .WithDescription("Any form of the ISBN finds the book: ISBN-10 or ISBN-13, with or without hyphens.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>The writes; those that store a book (POST, PUT, PATCH) wait for the unique ISBN index.</summary>
    private static void MapWrites(RouteGroupBuilder writes)
    {
        var storing = writes.MapGroup("").AddEndpointFilter(WritesWaitForIsbnIndex.InvokeAsync);
        storing.MapPost("/", CreateBook)
            .WithName(nameof(CreateBook))
            .WithSummary("Add a book")
            .WithDescription("Answers 201 with the stored book, its Location and ETag; 409 when another book has the same ISBN.")
            .ProducesBookBodyProblems();

        storing.MapPut("/{id}", ReplaceBook)
            .WithName(nameof(ReplaceBook))
            .WithSummary("Replace a book")
            .WithDescription("Replaces every client-owned field. With If-Match, only if the book is still at that version.")
            .Accepts<BookRequest>(MediaTypeNames.Application.Json)
            .ProducesBookBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        storing.MapPatch("/{id}", PatchBook)
            .WithName(nameof(PatchBook))
            .WithSummary("Change some fields of a book")
            .WithDescription("An RFC 7396 merge patch: fields given are set, fields given as null are removed. With If-Match, only if the book is still at that version.")
            .Accepts<BookPatchRequest>(MergePatchMediaType)
            .ProducesBookBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        writes.MapDelete("/{id}", DeleteBook)
            .WithName(nameof(DeleteBook))
            .WithSummary("Delete a book")
            .WithDescription("With If-Match, only if the book is still at that version.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
    }

    /// <summary>What any write carrying a book can answer: an invalid book, a taken ISBN, a body too large, a wrong media type.</summary>
    private static RouteHandlerBuilder ProducesBookBodyProblems(this RouteHandlerBuilder endpoint) =>
        endpoint
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    public static async Task<Results<Ok<BookPage>, ValidationProblem>> ListBooks(
        [AsParameters] BookListQuery query,
        HttpRequest request,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        CancellationToken cancellationToken)
    {
        if (BookListing.Parse(query, request.Query, out var errors) is not { } listing)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // One book more than the page holds says whether there is a next page.
        var page = await books.Find(listing.Filter, limits.FindOptions)
            .Sort(listing.Order)
            .Limit(listing.Limit + 1)
            .ToListAsync(cancellationToken);

        string? nextCursor = null;
        if (page.Count > listing.Limit)
        {
            page.RemoveAt(listing.Limit);
            nextCursor = listing.CursorAfter(page[^1]);
        }

        return TypedResults.Ok(new BookPage([.. page.Select(BookResponse.From)], nextCursor));
    }

    public static async Task<Results<Ok<BookResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetBook(
        [Description("The book's id (24 hex digits).")] string id,
        HttpContext context,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        CancellationToken cancellationToken)
    {
        var book = await FindByIdAsync(id, books, limits, cancellationToken);
        if (book is null)
        {
            return BooksProblems.BookNotFound(id);
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        var preconditions = BookPreconditions.Read(context.Request);
        if (!preconditions.IfMatchAllows(book.Version))
        {
            return BookChanged(id, book.Version, preconditions);
        }

        return preconditions.IfNoneMatchHits(book.Version)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(BookResponse.From(book));
    }

    public static async Task<Results<Ok<BookResponse>, ValidationProblem, ProblemHttpResult>> GetBookByIsbn(
        [Description("ISBN-10 or ISBN-13, with or without hyphens.")] string isbn,
        HttpContext context,
        IMongoCollection<Book> books,
        BookQueryLimits limits,
        CancellationToken cancellationToken)
    {
        if (Isbn.TryParse(isbn, out var isbn13) is { } problem)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["isbn"] = [problem] });
        }

        var book = await books.Find(Builders<Book>.Filter.Eq(BookElements.Isbn, isbn13), limits.FindOptions).FirstOrDefaultAsync(cancellationToken);
        if (book is null)
        {
            return BooksProblems.NoBookWithIsbn(isbn13);
        }

        context.Response.Headers.ETag = BookETag.For(book.Version);
        return TypedResults.Ok(BookResponse.From(book));
    }

    // Field-name filters, not lambdas: a lambda is translated from its expression tree on every request.
    private static FilterDefinition<Book> ById(ObjectId id) => Builders<Book>.Filter.Eq(BookElements.Id, id);

    /// <summary>The book with this id, or null; a malformed id cannot name a book, so it is a 404 like any unknown id.</summary>
    private static async Task<Book?> FindByIdAsync(string id, IMongoCollection<Book> books, BookQueryLimits limits, CancellationToken cancellationToken) =>
        ObjectId.TryParse(id, out var objectId)
            ? await books.Find(ById(objectId), limits.FindOptions).FirstOrDefaultAsync(cancellationToken)
            : null;
}
