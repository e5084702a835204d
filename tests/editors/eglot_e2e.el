;;; eglot_e2e.el --- the README's eglot snippet, driven in Emacs in batch mode  -*- lexical-binding: t -*-
;; Loaded by test_emacs.py after the snippet: open the seed's Task, wait for PP101, read what
;; eldoc gets from eglot's hover there, show the rule's documentation and apply the KV-store
;; quick fix with `eglot-code-actions' (its menu answered as a user would), save, and see the
;; fixed finding go. Prints "STEP ..." lines and ends with "PASS" or "FAIL ...".

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

(defvar e2e-shown-messages nil "What the server showed with window/showMessage, newest first.")

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/showMessage)) &key message &allow-other-keys)
  (push message e2e-shown-messages))

(defun e2e-hover-doc ()
  "What eldoc shows at point from eglot's hover."
  (unless (memq #'eglot-hover-eldoc-function eldoc-documentation-functions)
    (error "eglot gives eldoc no hover: %S" eldoc-documentation-functions))
  (let ((doc nil))
    (eglot-hover-eldoc-function (lambda (info &rest _) (setq doc (or info ""))))
    (e2e-wait-for "the hover" (lambda () doc))
    doc))

(defun e2e-code-action (pattern)
  "Run the code action at point whose title matches PATTERN; return the titles offered."
  (let ((offered nil))
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt choices &rest _)
                 (setq offered (mapcar (lambda (c) (if (consp c) (car c) c)) choices))
                 (or (cl-find-if (lambda (title) (string-match-p pattern title)) offered)
                     (error "No action matching %S among %S" pattern offered)))))
      ;; Invoked from the keyboard (M-x RET), as a user does: the menu is `completing-read'.
      (let ((last-nonmenu-event ?\r))
        (eglot-code-actions (point) (1+ (point)) nil t)))
    offered))

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
      (let ((doc (e2e-hover-doc)))
        (unless (and (string-match-p "BadCounterTask" doc) (string-match-p "Why is this bad\\?" doc)
                     (string-match-p "Use instead" doc)
                     (not (string-match-p "\\*\\*Why\\|```" doc)))  ; plain text: no markdown-mode here
          (error "The hover does not say why, in plain text: %S" doc))
        (e2e-say "STEP eldoc shows the hover: why, and what to write instead"))
      (e2e-code-action "PP101): Show documentation")
      (e2e-wait-for "the rule's page as a message"
                    (lambda () (cl-find-if (lambda (m) (string-match-p "\\`PP101: task-instance-state\n" m))
                                           e2e-shown-messages)))
      (e2e-say "STEP Show documentation showed the rule's page")
      (let ((offered (e2e-code-action "PP101): Keep `self.counter`")))
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
