using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GradGuard.Analyzers
{
    /// <summary>
    /// A file's text as one string, made once per syntax tree and shared by every analyzer that searches it for names:
    /// looking for a name in the text and asking the tree only at the hits costs far less than walking every node, and
    /// a string of the whole file per search would be most of what the search costs.
    /// </summary>
    internal static class SourceTexts
    {
        // Keyed weakly by the tree: an edited file in the IDE is a new tree, and the old text goes with the old tree.
        private static readonly ConditionalWeakTable<SyntaxTree, string> Texts = new();

        public static string Of(SyntaxTree tree, CancellationToken cancellationToken) =>
            Texts.GetValue(tree, unseen => unseen.GetText(cancellationToken).ToString());

        /// <summary>Whether <paramref name="value"/> occurs in the text of <paramref name="node"/>.</summary>
        public static bool Mentions(SyntaxNode node, string value, CancellationToken cancellationToken) =>
            Of(node.SyntaxTree, cancellationToken).IndexOf(value, node.SpanStart, node.Span.Length, StringComparison.Ordinal) >= 0;

        /// <summary>Whether <paramref name="word"/> occurs in the text of <paramref name="node"/> as a whole word.</summary>
        public static bool MentionsWord(SyntaxNode node, string word, CancellationToken cancellationToken)
        {
            foreach (var _ in WordsIn(Of(node.SyntaxTree, cancellationToken), node.Span, word))
            {
                return true;
            }

            return false;
        }

        /// <summary>
        /// Where <paramref name="word"/> occurs in <paramref name="span"/> of the text as a whole word, not inside a longer
        /// identifier (<c>to</c> in <c>x.to(</c>, not in <c>torch</c>).
        /// </summary>
        public static IEnumerable<int> WordsIn(string text, TextSpan span, string word)
        {
            var end = span.End;
            for (int at = text.IndexOf(word, span.Start, span.Length, StringComparison.Ordinal);
                 at >= 0 && at + word.Length <= end;
                 at = text.IndexOf(word, at + word.Length, end - at - word.Length, StringComparison.Ordinal))
            {
                if ((at == 0 || !IsIdentifierPart(text[at - 1])) && (at + word.Length == text.Length || !IsIdentifierPart(text[at + word.Length])))
                {
                    yield return at;
                }
            }
        }

        /// <summary>
        /// Whether the word at <paramref name="at"/> comes right after another word on its line, with only spaces between,
        /// that is not a keyword an expression can follow: the name in a declaration (<c>Tensor forward(Tensor x)</c>), never
        /// the name of a call (<c>return forward(x)</c>, <c>m.forward(x)</c>). Such a hit needs no look at the tree.
        /// </summary>
        public static bool FollowsTypeName(string text, int at)
        {
            var end = at;
            while (end > 0 && text[end - 1] is ' ' or '\t')
            {
                end--;
            }

            var start = end;
            while (start > 0 && IsIdentifierPart(text[start - 1]))
            {
                start--;
            }

            return start < end && end < at && !ExpressionKeywords.Contains(text.Substring(start, end - start));
        }

        // The keywords and query words that an expression, and so a call, can follow on the same line.
        private static readonly HashSet<string> ExpressionKeywords = new()
        {
            "return", "await", "throw", "yield", "else", "do", "case", "goto", "when", "in", "out", "ref", "is", "as", "new",
            "not", "and", "or", "with", "from", "let", "where", "join", "on", "equals", "orderby", "select", "group", "by", "into",
        };

        public static bool IsIdentifierPart(char character) => char.IsLetterOrDigit(character) || character == '_';
    }
}
