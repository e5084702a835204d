;;; eglot_e2e.el --- the README's eglot snippet, driven in Emacs in batch mode  -*- lexical-binding: t -*-
;; Loaded by test_emacs.py after the snippet: open the seed's Task, wait for PP101, apply the
;; KV-store quick fix with `eglot-code-actions' (its menu answered as a user would), save,
;; and see the fixed finding go. Prints "STEP ..." lines and ends with "PASS" or "FAIL ...".

(require 'cl-lib)
(require 'eglot)
(require 'flymake)

(defun e2e-say (format-string &rest arguments)
  (princ (concat (apply #'format format-string arguments) "\n")))

(defun e2e-wait-for (what predicate)
  (let ((deadline (+ (float-time) 60)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (when (bound-and-true-p flymake-mode) (flymake-start))
      (accept-process-output nil 0.1))
    (unless (funcall predicate) (error "Timed out waiting for %s" what))))

(defun e2e-ours (code)
  "Our flymake diagnostics with CODE in their text."
  (cl-remove-if-not (lambda (d) (string-match-p (regexp-quote code) (flymake-diagnostic-text d)))
                    (flymake-diagnostics)))

(defun e2e-run ()
  (let* ((project (getenv "PP_PROJECT"))
         (eglot-sync-connect t)
         (eglot-connect-timeout 60)
         (eglot-confirm-server-initiated-edits nil))
    (find-file (expand-file-name "counter.py" project))
    (unless (derived-mode-p 'python-mode) (error "counter.py is not in python-mode"))
    (apply #'eglot (eglot--guess-contact))  ; what M-x eglot does, from `eglot-server-programs'
    (unless (eglot-current-server) (error "eglot did not connect"))
    (e2e-say "STEP eglot started %s" (mapconcat #'identity (process-command (jsonrpc--process (eglot-current-server))) " "))
    (e2e-wait-for "PP101" (lambda () (= (length (e2e-ours "PP101")) 2)))
    (let ((first (car (sort (e2e-ours "PP101") (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b)))))))
      (e2e-say "STEP PP101 shown: %s" (flymake-diagnostic-text first))
      (goto-char (flymake-diagnostic-beg first))
      (let ((offered nil))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt choices &rest _)
                     (setq offered (mapcar (lambda (c) (if (consp c) (car c) c)) choices))
                     (or (cl-find-if (lambda (title) (string-match-p "PP101): Keep `self.counter`" title)) offered)
                         (error "No store fix among %S" offered)))))
          ;; Invoked from the keyboard (M-x RET), as a user does: the menu is `completing-read'.
          (let ((last-nonmenu-event ?\r))
            (eglot-code-actions (point) (1+ (point)) nil t)))
        (e2e-say "STEP code actions: %s" (mapconcat #'identity offered " / "))))
    (unless (string-match-p "set_key_value(" (buffer-string)) (error "The store fix did not change the text"))
    (e2e-say "STEP the external-store fix rewrote the task")
    (save-buffer)
    (e2e-wait-for "the fixed PP101 to go" (lambda () (= (length (e2e-ours "PP101")) 1)))
    (e2e-say "STEP the fixed PP101 is gone, the other task's stays")
    (e2e-say "STEP done")))

(condition-case problem
    (progn (e2e-run) (e2e-say "PASS"))
  (error (e2e-say "FAIL %s" (error-message-string problem))))
(kill-emacs 0)
